/**
 * Where a `kubectl port-forward` to a pod of this node connects: the pod's own address (its
 * network namespace, reachable from the node), once the pod runs here. Errors are StatusErrors in
 * Kubernetes' wording, so the node can refuse the upgrade with the right code.
 */
import { badRequest, StatusError } from '../api/errors.ts';
import type { NodeClient } from './node-client.ts';

export interface PortForwardTarget {
  /** The pod's IP address, which every container port of the pod listens on. */
  readonly address: string;
}

export async function portForwardTarget(
  client: NodeClient,
  nodeName: string,
  request: { readonly namespace: string; readonly name: string },
): Promise<PortForwardTarget> {
  const pod = await client.getPod(request.namespace, request.name);
  if (pod instanceof StatusError) throw pod;
  if (pod.spec.nodeName !== nodeName)
    throw badRequest(`pod ${request.name} runs on node ${pod.spec.nodeName ?? '(none)'}, not on ${nodeName}`);
  const phase = pod.status?.phase;
  if (phase !== 'Running')
    throw badRequest(
      `unable to forward port because pod is not running. Current status=${phase ?? 'Pending'}`,
    );
  const address = pod.status?.podIP;
  if (address === undefined || address === '')
    throw badRequest(`pod ${request.name} has no IP address yet; retry once it is Ready`);
  return { address };
}
