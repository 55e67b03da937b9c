/** hostPort conflicts: same protocol and port, and the same host IP or a 0.0.0.0 wildcard on either side. */
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';
import { HOST_PORTS_TAKEN, type Reasons } from '../reasons.ts';

export function hostPorts(pod: PodInfo, node: NodeInfo): Reasons | undefined {
  for (const hp of pod.hostPorts) {
    if (node.portInUse(hp.protocol, hp.port, hp.ip)) return HOST_PORTS_TAKEN;
  }
  return undefined;
}
