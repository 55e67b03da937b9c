/**
 * A real local kedge cluster for one e2e file: `up` with its own name prefix and ports, kubectl
 * (1.33) against it, polling helpers, and a teardown that leaves no process, container or temp
 * directory behind even when the start or a test failed.
 *
 *   startLocalCluster(label) ─> up({agents, namePrefix, basePort}) ─> { kubectl, create, getJson, pods }
 *   stop() ─> down(purge) ─> removeNodeContainers(prefix-1..N) ─> rm temp dir
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { down, type UpOptions, type UpResult, up } from '../../agent/src/cluster/local-cluster.ts';
import { removeNodeContainers } from '../../agent/src/control/sample-workload.ts';

const run = promisify(execFile);
const kubectlBin = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

export const BUSYBOX = 'localhost/kedge/busybox:latest';

export interface PodView {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string }[];
  };
  spec: { nodeName?: string; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { state?: Record<string, unknown>; restartCount?: number }[];
  };
}

export interface LocalTestCluster {
  readonly dir: string;
  readonly up: UpResult;
  readonly nodeNames: string[];
  kubectl(...args: string[]): Promise<string>;
  /** `kubectl create -f` of one object. */
  create(object: object): Promise<void>;
  getJson<T>(...args: string[]): Promise<T>;
  pods(selector: string): Promise<PodView[]>;
  stop(): Promise<void>;
}

export const isRunningReady = (p: PodView): boolean =>
  p.metadata.deletionTimestamp === undefined &&
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Starts `agents` agents named `<label><pid>-<i>` on ports no other suite of this run uses. */
export async function startLocalCluster(
  label: string,
  agents = 3,
  extra: Pick<UpOptions, 'datastore'> = {},
): Promise<LocalTestCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), `kedge-${label}-`));
  const prefix = `${label}${process.pid}`;
  const nodeNames = Array.from({ length: agents }, (_, i) => `${prefix}-${i + 1}`);
  let created = 0;
  const stop = async () => {
    await down({ dir, purge: true }).catch((e: Error) => console.error(`down failed: ${e.message}`));
    // Whatever the agents left (kill -9 in a test, or a failed start), by their node labels.
    await removeNodeContainers(nodeNames).catch((e: Error) =>
      console.error(`removing containers failed: ${e.message}`),
    );
    await rm(dir, { recursive: true, force: true });
  };
  let result: UpResult;
  try {
    result = await up({
      agents,
      dir,
      basePort: 24_000 + Math.floor(Math.random() * 40) * 200,
      namePrefix: prefix,
      timeoutMs: 90_000,
      ...extra,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const kubectl = async (...args: string[]) =>
    (
      await run(
        kubectlBin,
        ['--kubeconfig', result.kubeconfig, '--cache-dir', path.join(dir, 'kcache'), ...args],
        { timeout: 60_000 },
      )
    ).stdout;
  const getJson = async <T>(...args: string[]) =>
    JSON.parse(await kubectl('get', ...args, '-o', 'json')) as T;
  return {
    dir,
    up: result,
    nodeNames,
    kubectl,
    async create(object) {
      const file = path.join(dir, `object-${created++}.json`);
      await writeFile(file, JSON.stringify(object));
      await kubectl('create', '-f', file);
    },
    getJson,
    async pods(selector) {
      return (await getJson<{ items: PodView[] }>('pods', '-l', selector)).items;
    },
    stop,
  };
}

/**
 * Polls `check` every 250 ms until it returns a value (not undefined) or the time is up; then
 * fails with `what` and the last thing `describe` saw, so a timeout says what the cluster looked like.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  describe?: () => Promise<string>,
): Promise<T> {
  const t0 = Date.now();
  let lastError = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() - t0 > timeoutMs) {
      const seen = describe ? await describe().catch((e: Error) => `(could not read: ${e.message})`) : '';
      throw new Error(
        `${what} did not happen within ${timeoutMs} ms${lastError ? `; last error: ${lastError}` : ''}${seen ? `; last seen: ${seen}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
