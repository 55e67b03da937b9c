/**
 * One Deployment on the benchmark's kedge cluster, through the API: create it and wait for its
 * pods Running, scale it, kill one pod's container with podman and wait for the restart, remove it.
 */
import { BASE_IMAGE } from '../../agent/src/image/base-image.ts';
import { LABEL } from '../../agent/src/runtime/labels.ts';
import { defaultPodmanConfig, podmanCli } from '../../agent/src/runtime/podman-cli.ts';
import type { KedgeApi } from './kedge-api.ts';
import { pollUntil } from './timing.ts';

export const IDLE_COMMAND = 'trap "exit 0" TERM; while :; do sleep 1; done';
export const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

export interface PodView {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { restartCount?: number }[];
  };
}
export interface NodeView {
  spec?: { taints?: { key: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

export const ready = (p: PodView) =>
  p.metadata.deletionTimestamp === undefined &&
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export class KedgeWorkload {
  readonly api: KedgeApi;
  readonly names: string[];
  readonly cli = podmanCli(defaultPodmanConfig);
  readonly #killed = new Set<string>();
  readonly #app: string;

  constructor(api: KedgeApi, names: string[], app: string) {
    this.api = api;
    this.names = names;
    this.#app = app;
  }

  /** Every agent's Node registered and Ready (the cluster is "ready" before its kubelets are). */
  async nodesReady(): Promise<void> {
    await pollUntil(
      'all Nodes Ready',
      async () => {
        const nodes = await this.api.call<{ items: (NodeView & { metadata: { name: string } })[] }>(
          'GET',
          '/api/v1/nodes',
        );
        const readyNodes = nodes.items.filter((n) =>
          (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return readyNodes.length === this.names.length ? true : undefined;
      },
      60_000,
      250,
    );
  }

  async remove(): Promise<void> {
    await this.api.call('DELETE', `${DEPLOYMENTS}/${this.#app}`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Foreground',
    });
    await pollUntil(
      `${this.#app} pods gone`,
      async () => ((await this.pods()).length === 0 ? true : undefined),
      90_000,
      250,
    );
  }

  async pods(): Promise<PodView[]> {
    return (
      await this.api.call<{ items: PodView[] }>(
        'GET',
        `/api/v1/namespaces/default/pods?labelSelector=app%3D${this.#app}`,
      )
    ).items;
  }

  /** Bench pods per node, for the log. */
  async spread(): Promise<string> {
    const counts = new Map<string, number>();
    for (const p of await this.pods())
      counts.set(p.spec.nodeName ?? '-', (counts.get(p.spec.nodeName ?? '-') ?? 0) + 1);
    return JSON.stringify(Object.fromEntries([...counts].sort()));
  }

  async #readyCount(n: number, timeoutMs: number): Promise<void> {
    await pollUntil(
      `${n} bench pods Running`,
      async () => ((await this.pods()).filter(ready).length >= n ? true : undefined),
      timeoutMs,
    );
  }

  async deploy(replicas: number): Promise<number> {
    const t0 = Date.now();
    await this.api.call('POST', DEPLOYMENTS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: this.#app, namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: this.#app } },
        template: {
          metadata: { labels: { app: this.#app } },
          spec: {
            terminationGracePeriodSeconds: 2,
            containers: [{ name: 'main', image: BASE_IMAGE, command: ['sh', '-c', IDLE_COMMAND] }],
          },
        },
      },
    });
    await this.#readyCount(replicas, 120_000);
    return Date.now() - t0;
  }

  async #setReplicas(replicas: number): Promise<void> {
    await this.api.call(
      'PATCH',
      `${DEPLOYMENTS}/${this.#app}`,
      { spec: { replicas } },
      'application/merge-patch+json',
    );
  }

  async scale(replicas: number): Promise<number> {
    const t0 = Date.now();
    await this.#setReplicas(replicas);
    await this.#readyCount(replicas, 240_000);
    return Date.now() - t0;
  }

  /** Back to `replicas`, waiting until the others are gone so that they do not load the trials. */
  async scaleDown(replicas: number): Promise<void> {
    await this.#setReplicas(replicas);
    await pollUntil(
      `bench scaled back to ${replicas}`,
      async () => ((await this.pods()).length === replicas ? true : undefined),
      120_000,
      250,
    );
  }

  /** podman kill of one pod's container; until the kubelet has it Ready again (restartCount + 1). */
  async killOneContainer(trial: number): Promise<number> {
    const pod = (await this.pods()).find((p) => ready(p) && !this.#killed.has(p.metadata.name));
    if (pod === undefined)
      throw new Error(`kill trial ${trial}: no Ready bench pod left that was not killed before`);
    const name = pod.metadata.name;
    this.#killed.add(name);
    const restarts = pod.status?.containerStatuses?.[0]?.restartCount ?? 0;
    const ids = (
      await this.cli.run([
        'ps',
        '-q',
        '--filter',
        `label=${LABEL.podName}=${name}`,
        '--filter',
        `label=${LABEL.role}=container`,
      ])
    ).stdout
      .split('\n')
      .filter(Boolean);
    if (ids.length !== 1)
      throw new Error(`kill trial ${trial}: pod ${name} has ${ids.length} running containers`);
    await this.cli.run(['kill', ids[0]!]);
    const t0 = Date.now();
    await pollUntil(
      `pod ${name} Ready again after its container was killed`,
      async () => {
        const p = (await this.pods()).find((x) => x.metadata.name === name);
        if (p === undefined) throw new Error(`pod ${name} is gone`);
        return ready(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > restarts
          ? true
          : undefined;
      },
      60_000,
    );
    return Date.now() - t0;
  }

  async node(name: string): Promise<NodeView> {
    return this.api.call<NodeView>('GET', `/api/v1/nodes/${name}`);
  }

  /**
   * kill -9 of agent `index` and its containers, then the stages until every replica runs on the
   * other nodes; then the agent is started again on its data dir and its Node waited Ready.
   */
}
