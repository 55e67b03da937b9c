/**
 * What every part of the backend contract shares: the fixture a backend test supplies, object
 * builders, and small helpers (failure reasons, eventually, recorded watches).
 */
import type { KubeObject } from '../../../agent/src/api/index.ts';
import type { ObjectBackend, WatchEvent } from '../../../agent/src/apiserver/backend.ts';
import type { CreateCommand, DeleteCommand } from '../../../agent/src/store/index.ts';

export interface BackendFixture {
  readonly backend: ObjectBackend;
  /** Makes every revision up to now unavailable to watches and continue tokens (etcd: compaction). */
  forgetHistory(): Promise<void>;
  close(): Promise<void>;
}

export const PODS = { group: '', resource: 'pods' } as const;
export const DEPLOYMENTS = { group: 'apps', resource: 'deployments' } as const;
export const NAMESPACES = { group: '', resource: 'namespaces' } as const;
export const CONFIGMAPS = { group: '', resource: 'configmaps' } as const;

let uids = 0;
export function createCmd(ref: { group: string; resource: string }, object: unknown): CreateCommand {
  uids++;
  return {
    op: 'create',
    ...ref,
    object: object as KubeObject,
    uid: `uid-${uids}`,
    creationTimestamp: '2026-01-01T00:00:00Z',
  };
}

export function pod(
  name: string,
  namespace = 'default',
  labels?: Record<string, string>,
  nodeName?: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) },
  } as KubeObject;
}

export function deployment(name: string, replicas = 1): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    },
  } as KubeObject;
}

export const del = (
  ref: { group: string; resource: string },
  namespace: string,
  name: string,
  extra: Partial<DeleteCommand> = {},
): DeleteCommand => ({
  op: 'delete',
  ...ref,
  namespace,
  name,
  deletionTimestamp: '2026-01-01T00:01:00Z',
  ...extra,
});

export async function failure(
  p: Promise<unknown>,
): Promise<{ reason: string; code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const status = (e as { status?: { reason: string; code: number; message: string } }).status;
    if (status === undefined) throw e;
    return status;
  }
  throw new Error('expected the backend to refuse');
}

export const rv = (o: KubeObject): number => Number(o.metadata.resourceVersion);
export const clone = <T>(x: T): T => structuredClone(x);
export const names = (items: readonly KubeObject[]) =>
  items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);

export async function eventually(check: () => boolean, what: () => string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Recorder {
  readonly events: WatchEvent[];
  seen(): string[];
  /** Waits until `n` events arrived (then lets a little more time pass for stray ones). */
  until(n: number): Promise<string[]>;
  stop(): void;
}

export async function record(
  backend: ObjectBackend,
  options: Parameters<ObjectBackend['watch']>[1],
  ref: { group: string; resource: string } = PODS,
): Promise<Recorder> {
  const events: WatchEvent[] = [];
  const stream = await backend.watch(ref, options, (e) => events.push(e));
  const seen = () => events.map((e) => `${e.type}:${(e.object as KubeObject).metadata?.name ?? ''}`);
  return {
    events,
    seen,
    until: async (n) => {
      await eventually(
        () => events.length >= n,
        () => `${n} events, have ${JSON.stringify(seen())}`,
      );
      return seen();
    },
    stop: () => stream.stop(),
  };
}

/** Registers the contract's tests; `setup` gives each test a fresh, empty backend with namespaces default, a, b, a-b. */

export type WithBackend = (
  body: (b: ObjectBackend, f: BackendFixture) => Promise<void>,
) => () => Promise<void>;

/** Runs a contract case on a fresh backend with namespaces default, a, b and a-b; closes it after. */
export function backendRunner(setup: () => Promise<BackendFixture>): WithBackend {
  return (body) => async () => {
    const f = await setup();
    try {
      for (const ns of ['default', 'a', 'b', 'a-b'])
        await f.backend.create(createCmd(NAMESPACES, { metadata: { name: ns } }));
      await body(f.backend, f);
    } finally {
      await f.close();
    }
  };
}
