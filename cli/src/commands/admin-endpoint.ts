// Where the cluster commands (cluster, snapshot) send /kedge/v1 requests: the agent and admin
// token of --kubeconfig, else --dir's local cluster, else $KUBECONFIG, else kedge up's default.
import os from 'node:os';
import path from 'node:path';
import type { Invocation } from '../command.ts';
import { type Endpoint, endpointOf } from './cluster-status.ts';

export function adminEndpoint(inv: Invocation): Promise<Endpoint> {
  const dir = inv.flags.string('dir');
  const file =
    inv.flags.string('kubeconfig') ??
    (dir !== undefined ? path.join(dir, 'kubeconfig') : undefined) ??
    inv.env.KUBECONFIG ??
    path.join(os.homedir(), '.kedge', 'local', 'kubeconfig');
  return endpointOf(file);
}
