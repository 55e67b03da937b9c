/**
 * A leader component: the namespaces every Kubernetes cluster has (default, kube-system,
 * kube-public, kube-node-lease), created when missing. Runs once per leadership; creating one
 * that exists is AlreadyExists, which is the answer we want.
 */
import { randomUUID } from 'node:crypto';
import { isStatusError } from '../api/errors.ts';
import type { LeaderContext } from './agent.ts';
import type { LeaderComponent } from './leader-components.ts';

export const SYSTEM_NAMESPACES: readonly string[] = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
];

export const systemNamespaces: LeaderComponent<LeaderContext> = {
  name: 'system-namespaces',
  async run({ backend }, signal) {
    for (const name of SYSTEM_NAMESPACES) {
      if (signal.aborted) return;
      try {
        await backend.create({
          op: 'create',
          group: '',
          resource: 'namespaces',
          object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
          uid: randomUUID(),
          creationTimestamp: `${new Date().toISOString().slice(0, 19)}Z`,
        });
      } catch (error) {
        if (isStatusError(error) && error.reason === 'AlreadyExists') continue;
        throw error;
      }
    }
  },
};
