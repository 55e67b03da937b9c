/**
 * A node for kubelet tests: an in-process store with the kubelet's client over it, the real podman
 * runtime under a unique node name (so listing by label finds only this file's containers), a temp
 * data dir, and a kubelet with short back-off and resync intervals. `cleanup` removes every pod,
 * container and directory it made, whatever state a failed test left.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusError } from '../../../agent/src/api/errors.ts';
import type { Event } from '../../../agent/src/api/types/core.ts';
import type { KubeObject } from '../../../agent/src/api/types/meta.ts';
import type { Container, Pod, PodSpec } from '../../../agent/src/api/types/pod.ts';
import { BASE_IMAGE, buildBaseImage } from '../../../agent/src/image/base-image.ts';
import { Kubelet, type KubeletConfig } from '../../../agent/src/kubelet/kubelet.ts';
import { backOffPolicy } from '../../../agent/src/kubelet/restart-backoff.ts';
import { StoreNodeClient } from '../../../agent/src/kubelet/store-node-client.ts';
import { LABEL } from '../../../agent/src/runtime/labels.ts';
import { defaultPodmanConfig } from '../../../agent/src/runtime/podman-cli.ts';
import { createPodmanRuntime, type PodmanRuntime } from '../../../agent/src/runtime/podman-runtime.ts';
import { ObjectStore } from '../../../agent/src/store/object-store.ts';

export const IMAGE = BASE_IMAGE;
export const PODS = { group: '', resource: 'pods' };
export const CONFIGMAPS = { group: '', resource: 'configmaps' };
export const SECRETS = { group: '', resource: 'secrets' };
export const PVCS = { group: '', resource: 'persistentvolumeclaims' };
export const PVS = { group: '', resource: 'persistentvolumes' };

export interface TestNode {
  readonly nodeName: string;
  readonly store: ObjectStore;
  readonly client: StoreNodeClient;
  readonly runtime: PodmanRuntime;
  readonly dataDir: string;
  kubelet: Kubelet;
  readonly logs: string[];
  newKubelet(overrides?: Partial<KubeletConfig>): Kubelet;
  createPod(name: string, spec: Partial<PodSpec> & { containers: Container[] }): Pod;
  pod(name: string): Pod | undefined;
  waitForPod(name: string, what: string, test: (pod: Pod) => boolean, timeoutMs?: number): Promise<Pod>;
  events(name: string): Event[];
  create<T extends KubeObject>(ref: { group: string; resource: string }, obj: T): T;
  cleanup(): Promise<void>;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function must<T>(x: T | StatusError): T {
  if (x instanceof StatusError) throw x;
  return x;
}

export async function startTestNode(
  label: string,
  overrides: Partial<KubeletConfig> = {},
): Promise<TestNode> {
  const nodeName = `kt-${label}-${randomUUID().slice(0, 6)}`;
  const dataDir = await mkdtemp(join(tmpdir(), `kedge-kubelet-${label}-`));
  const store = new ObjectStore();
  const client = new StoreNodeClient(store);
  for (const ns of ['default', 'kube-node-lease'])
    must(
      client.create(
        { group: '', resource: 'namespaces' },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      ),
    );
  const runtime = await createPodmanRuntime({
    nodeName,
    config: defaultPodmanConfig,
    stateDir: join(dataDir, 'runtime'),
  });
  await buildBaseImage(runtime.cli);
  const logs: string[] = [];
  const config: KubeletConfig = {
    nodeName,
    dataDir,
    nodeAddress: '127.0.0.1',
    backOff: backOffPolicy(1000, 8000),
    relistIntervalMs: 300,
    podResyncIntervalMs: 1000,
    nodeStatusIntervalMs: 60_000,
    leaseRenewIntervalMs: 1000,
    reclaimIntervalMs: 60_000,
    ...overrides,
  };
  const node: TestNode = {
    nodeName,
    store,
    client,
    runtime,
    dataDir,
    logs,
    kubelet: undefined as unknown as Kubelet,
    newKubelet(more = {}) {
      return new Kubelet({ config: { ...config, ...more }, client, runtime, log: (m) => logs.push(m) });
    },
    createPod(name, spec) {
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: { terminationGracePeriodSeconds: 1, ...spec, nodeName },
      };
      return must(client.create(PODS, pod));
    },
    pod(name) {
      const got = store.get(PODS, 'default', name);
      return got instanceof StatusError ? undefined : (got as Pod);
    },
    waitForPod(name, what, test, timeoutMs = 60_000) {
      return waitFor(
        `pod ${name}: ${what}`,
        () => {
          const p = node.pod(name);
          return p && test(p) ? p : undefined;
        },
        timeoutMs,
      ).catch((err: Error) => {
        const p = node.pod(name);
        throw new Error(
          `${err.message}; last status: ${JSON.stringify(p?.status)}; kubelet said: ${logs.slice(-5).join(' | ')}`,
        );
      });
    },
    events(name) {
      const list = store.list({ group: '', resource: 'events' }, { namespace: 'default' });
      if (list instanceof StatusError) return [];
      return (list.items as Event[]).filter((e) => e.involvedObject.name === name);
    },
    create(ref, obj) {
      return must(client.create(ref, obj));
    },
    async cleanup() {
      if (process.env.KEDGE_TEST_KUBELET_LOGS) console.log(logs.join('\n'));
      node.kubelet?.stop();
      const errors: string[] = [];
      const pods = await runtime.cli.run(['pod', 'ps', '-q', '--filter', `label=${LABEL.node}=${nodeName}`]);
      for (const id of pods.stdout.split('\n').filter(Boolean))
        await runtime.cli.run(['pod', 'rm', '-f', '-t', '0', id]).catch((e: Error) => errors.push(e.message));
      const ctrs = await runtime.cli.run(['ps', '-aq', '--filter', `label=${LABEL.node}=${nodeName}`]);
      for (const id of ctrs.stdout.split('\n').filter(Boolean))
        await runtime.cli.run(['rm', '-f', '-t', '0', id]).catch((e: Error) => errors.push(e.message));
      runtime.close();
      await rm(dataDir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`cleanup: ${errors.join('; ')}`);
    },
  };
  node.kubelet = node.newKubelet();
  return node;
}

export const sh = (script: string): Pick<Container, 'image' | 'command'> => ({
  image: IMAGE,
  command: ['sh', '-c', script],
});

export const running = (name: string) => (p: Pod) =>
  p.status?.containerStatuses?.find((c) => c.name === name)?.state?.running !== undefined;

export const podReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
