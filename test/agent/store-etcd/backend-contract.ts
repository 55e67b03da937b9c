/**
 * The ObjectBackend contract: what the API server may rely on from any store, written once and
 * run against the embedded store (LocalBackend) and the external etcd (EtcdBackend). Revisions
 * are compared, never spelled out: etcd's start at its own counter and are shared by every test
 * on the same etcd. Watches are asynchronous on etcd, so tests wait for the events they expect and
 * prove that nothing else arrived by writing a sentinel the watch must see last.
 */
import { describeListContract } from './backend-contract-lists.ts';
import { describeWatchContract } from './backend-contract-watches.ts';
import { describeWriteContract } from './backend-contract-writes.ts';
import { type BackendFixture, backendRunner } from './backend-fixtures.ts';

export type { BackendFixture } from './backend-fixtures.ts';
export { createCmd, NAMESPACES, PODS, pod } from './backend-fixtures.ts';

/** The whole contract for one backend: every case on a fresh backend from `setup`. */
export function describeBackendContract(name: string, setup: () => Promise<BackendFixture>): void {
  const withBackend = backendRunner(setup);
  describeWriteContract(name, withBackend);
  describeListContract(name, withBackend);
  describeWatchContract(name, withBackend);
}
