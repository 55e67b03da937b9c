// A cluster in a test: the in-process store, a fake clock, the controller manager, and a fake
// scheduler and kubelet (bind pods round-robin to live nodes; mark them Running, then Ready after
// a delay; finish graceful deletions), stepped until nothing moves.
import {
  isStatusError,
  type KubeObject,
  type Lease,
  type Node,
  type Pod,
} from '../../../agent/src/api/index.ts';
import {
  LEASES,
  NAMESPACES,
  NODES,
  PODS,
  type ResourceRef,
} from '../../../agent/src/controllers/runtime/client.ts';
import { FakeClock, timestamp } from '../../../agent/src/controllers/runtime/clock.ts';
import type { ControllerDefinition } from '../../../agent/src/controllers/runtime/controller.ts';
import { ControllerManager } from '../../../agent/src/controllers/runtime/controller.ts';
import { InProcessClusterClient } from '../../../agent/src/controllers/runtime/store-client.ts';
import { seededRandom } from '../../../agent/src/controllers/shared/names.ts';
import { ObjectStore } from '../../../agent/src/store/index.ts';

export interface ClusterOptions {
  readonly nodes?: string[];
  /** How long after binding a pod becomes Ready (ms). */
  readyDelayMs?: number;
  /** Containers that end: given a running pod and how long it has run, its final phase. */
  finish?: (pod: Pod, runningForMs: number) => 'Succeeded' | 'Failed' | undefined;
  /** Run the fake scheduler and kubelet (default true). */
  readonly kubelet?: boolean;
}

export class TestCluster {
  readonly store = new ObjectStore();
  readonly clock = new FakeClock();
  readonly client: InProcessClusterClient;
  readonly manager: ControllerManager;
  readonly abort = new AbortController();
  readonly errors: string[] = [];
  /** Nodes whose kubelet is silent: no heartbeats, no pod updates (dead or cut off). */
  readonly deadNodes = new Set<string>();
  /** Renew node Leases and keep Ready=True on every live node at each step (for node lifecycle tests). */
  heartbeats = false;
  private readonly boundAt = new Map<string, number>();
  private rr = 0;
  readonly options: ClusterOptions;

  constructor(options: ClusterOptions = {}) {
    this.options = options;
    this.client = new InProcessClusterClient(this.store, { clock: this.clock, random: seededRandom(7) });
    this.manager = new ControllerManager({
      client: this.client,
      clock: this.clock,
      onError: (c, k, e) => this.errors.push(`${c} ${k}: ${e.message}`),
    });
    void this.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    void this.create(NAMESPACES, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'kube-node-lease' },
    });
    for (const n of options.nodes ?? []) void this.addNode(n);
  }

  addNode(name: string): Promise<Node> {
    return this.create(NODES, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name } },
      spec: {},
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
    } as Node);
  }

  async start(defs: ControllerDefinition[]): Promise<void> {
    await this.manager.start(defs, this.abort.signal);
    await this.settle();
  }

  stop(): void {
    this.abort.abort();
  }

  /** Creates through the client (defaulted, uid, timestamps); throws on error. */
  async create<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    const r = await this.client.create(ref, obj);
    if (isStatusError(r)) throw new Error(`create of ${obj.metadata.name} failed: ${r.message}`);
    return r as T;
  }

  get<T extends KubeObject>(ref: ResourceRef, namespace: string, name: string): T | undefined {
    const o = this.store.get(ref, namespace, name);
    return isStatusError(o) ? undefined : (o as T);
  }

  list<T extends KubeObject>(ref: ResourceRef, namespace?: string): T[] {
    const l = this.store.list(ref, namespace === undefined ? {} : { namespace });
    if (isStatusError(l)) throw new Error(l.message);
    return l.items as T[];
  }

  /** Replaces an object (read-modify-write through the store). */
  async modify<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string,
    name: string,
    fn: (o: T) => void,
  ): Promise<T> {
    const cur = this.get<T>(ref, namespace, name);
    if (cur === undefined) throw new Error(`${name} not found`);
    const next = structuredClone(cur) as T;
    fn(next);
    const r = await this.client.update(ref, next);
    if (isStatusError(r)) throw new Error(r.message);
    return r as T;
  }

  /** Lets promises run and the fake scheduler and kubelet act until nothing changes. */
  async settle(): Promise<void> {
    for (let i = 0; i < 500; i++) {
      for (let j = 0; j < 5; j++) await new Promise((r) => setImmediate(r));
      const acted = this.options.kubelet === false ? false : await this.kubeletStep();
      if (!acted && this.manager.idle) {
        await new Promise((r) => setImmediate(r));
        if (this.manager.idle) return;
      }
    }
    throw new Error('cluster did not settle in 500 rounds');
  }

  /** Moves the clock in steps, settling after each; `check` runs after every step. */
  async advance(ms: number, stepMs = 250, check?: () => void): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      this.clock.advance(Math.min(stepMs, ms - t));
      if (this.heartbeats) await this.beat();
      await this.settle();
      check?.();
    }
  }

  /** What a live kubelet does every couple of seconds: renew its Lease and report Ready. */
  async beat(): Promise<void> {
    const now = timestamp(this.clock.now());
    for (const n of this.list<Node>(NODES)) {
      const name = n.metadata.name ?? '';
      if (this.deadNodes.has(name)) continue;
      const lease = this.get<Lease>(LEASES, 'kube-node-lease', name);
      if (lease === undefined)
        await this.create(LEASES, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: 'kube-node-lease' },
          spec: { holderIdentity: name, renewTime: now },
        } as Lease);
      else if (lease.spec?.renewTime !== now)
        await this.modify<Lease>(LEASES, 'kube-node-lease', name, (l) => {
          l.spec = { ...l.spec, renewTime: now };
        });
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') {
        const next = structuredClone(n);
        next.status = {
          ...next.status,
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now }],
        };
        await this.client.updateStatus(NODES, next);
      }
    }
  }

  private async kubeletStep(): Promise<boolean> {
    let acted = false;
    const nodes = this.list<Node>(NODES)
      .filter(
        (n) => !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
      )
      .map((n) => n.metadata.name ?? '');
    for (const pod of this.list<Pod>(PODS)) {
      const node = pod.spec.nodeName ?? '';
      if (this.deadNodes.has(node)) continue;
      const ns = pod.metadata.namespace ?? '';
      if (pod.metadata.deletionTimestamp !== undefined) {
        if (node === '' || (pod.metadata.finalizers ?? []).length > 0) continue;
        await this.client.delete(PODS, ns, pod.metadata.name ?? '', { gracePeriodSeconds: 0 });
        acted = true;
        continue;
      }
      if (node === '') {
        if (nodes.length === 0) continue;
        const target = nodes[this.rr++ % nodes.length] ?? '';
        const next = structuredClone(pod);
        next.spec.nodeName = target;
        const r = await this.client.update(PODS, next);
        if (!isStatusError(r)) this.boundAt.set(pod.metadata.uid ?? '', this.clock.now());
        acted = true;
        continue;
      }
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      // Pods created already bound (DaemonSets) start counting when the kubelet first sees them.
      if (!this.boundAt.has(pod.metadata.uid ?? ''))
        this.boundAt.set(pod.metadata.uid ?? '', this.clock.now());
      const bound = this.boundAt.get(pod.metadata.uid ?? '') ?? 0;
      const outcome = phase === 'Running' ? this.options.finish?.(pod, this.clock.now() - bound) : undefined;
      if (outcome !== undefined) {
        const next = structuredClone(pod);
        const at = timestamp(this.clock.now());
        next.status = {
          ...next.status,
          phase: outcome,
          conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: at }],
          containerStatuses: [
            {
              name: 'c',
              ready: false,
              restartCount: 0,
              image: '',
              imageID: '',
              state: { terminated: { exitCode: outcome === 'Succeeded' ? 0 : 1, finishedAt: at } },
            },
          ],
        };
        await this.client.updateStatus(PODS, next);
        acted = true;
        continue;
      }
      const ready = this.clock.now() >= bound + (this.options.readyDelayMs ?? 0);
      const isReady = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      if (phase === 'Running' && isReady === ready) continue;
      if (phase === 'Running' && isReady && !ready) continue;
      const next = structuredClone(pod);
      next.status = {
        ...next.status,
        phase: 'Running',
        podIP: `10.0.0.${(this.rr++ % 250) + 1}`,
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            lastTransitionTime: timestamp(this.clock.now()),
          },
        ],
      };
      await this.client.updateStatus(PODS, next);
      acted = true;
    }
    return acted;
  }
}

export const readyPods = (pods: Pod[]): Pod[] =>
  pods.filter(
    (p) =>
      p.metadata.deletionTimestamp === undefined &&
      (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  );
