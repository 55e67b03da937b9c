/**
 * The kubelet of one node: keeps a pod worker per pod bound here, fed by the pod watch, by a
 * relist of the runtime (Kubernetes' PLEG: one listing of every container of this node, and only
 * the pods whose containers changed are woken) that the runtime's container events trigger at
 * once and a timer repeats as a safety net, and by the workers' own timers. On start it adopts what a previous agent left running (by the runtime's io.kedge.*
 * labels) and removes what no pod owns. Stopping the kubelet leaves the pods running.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StatusError } from '../api/errors.ts';
import type { NodeAddress } from '../api/types/core.ts';
import type { Pod } from '../api/types/pod.ts';
import type { NodeProbe } from '../metrics/node-metrics.ts';
import type { ContainerUsage } from '../metrics/prometheus.ts';
import { LABEL } from '../runtime/labels.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { AGENT_VERSION } from '../version.ts';
import { containerUsage } from './container-usage.ts';
import { ImagePolicy } from './image-policy.ts';
import { LocalPathProvisioner } from './local-path-provisioner.ts';
import type { NodeClient, PodWatch } from './node-client.ts';
import { NodeHeartbeat } from './node-heartbeat.ts';
import type { RuntimeContainer } from './observed-pod.ts';
import { type ExecTarget, type ExecTargetRequest, execTarget } from './pod-exec.ts';
import { type PodLogRequest, podLogs } from './pod-logs.ts';
import { type PortForwardTarget, portForwardTarget } from './pod-port-forward.ts';
import { type ServiceAccountConfig, tearDownVolumes } from './pod-volumes.ts';
import { PodWorker } from './pod-worker.ts';
import { type BackOffPolicy, defaultBackOffPolicy } from './restart-backoff.ts';
import { kubeTime } from './store-node-client.ts';
import type { WorkerContext } from './worker-context.ts';

export interface KubeletConfig {
  readonly nodeName: string;
  /** Volumes, projected files and local persistent volumes live here. */
  readonly dataDir: string;
  /** The node's address: status.hostIP, and where hostPorts are published. */
  readonly nodeAddress: string;
  readonly addresses?: readonly NodeAddress[];
  readonly backOff?: BackOffPolicy;
  /** How often the runtime is listed to notice exits when it sends no events (default 2000 ms). */
  readonly relistIntervalMs?: number;
  /**
   * How often it is listed anyway while container events flow (default 10 s): a safety net for
   * an event lost between two connections of the stream.
   */
  readonly eventRelistIntervalMs?: number;
  /** How often each pod is synced even when nothing happened (default 10 s; ConfigMap volumes follow at this pace). */
  readonly podResyncIntervalMs?: number;
  readonly nodeStatusIntervalMs?: number;
  readonly leaseRenewIntervalMs?: number;
  readonly leaseDurationSeconds?: number;
  /** How often released local volumes are reclaimed (default 10 s). */
  readonly reclaimIntervalMs?: number;
  readonly defaultReclaimPolicy?: 'Retain' | 'Delete';
  readonly maxPods?: number;
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** When set, pods get a token, ca.crt and namespace and the KUBERNETES_SERVICE_* variables. */
  readonly serviceAccount?: ServiceAccountConfig;
  /** Register the Node and renew its Lease (default true). */
  readonly registerNode?: boolean;
  readonly nodeProbe?: NodeProbe;
}

export interface KubeletDeps {
  readonly config: KubeletConfig;
  readonly client: NodeClient;
  readonly runtime: ContainerRuntime;
  readonly log?: (message: string) => void;
}

/** SIGTERM's grace for a leftover pod that no longer exists in the API (its own is not known). */
const ORPHAN_GRACE_SECONDS = 5;
export class Kubelet {
  readonly config: KubeletConfig;
  readonly #client: NodeClient;
  readonly #runtime: ContainerRuntime;
  readonly #log: (message: string) => void;
  readonly #workers = new Map<string, PodWorker>();
  readonly #ctx: WorkerContext;
  readonly #provisioner: LocalPathProvisioner;
  readonly #heartbeat: NodeHeartbeat | undefined;
  #watch: PodWatch | undefined;
  #relistTimer: NodeJS.Timeout | undefined;
  #relisting = false;
  #relistAgain = false;
  /** True while the runtime's container event stream is connected. */
  #eventsLive = false;
  readonly #events = new AbortController();
  #reclaimTimer: NodeJS.Timeout | undefined;
  #lastRelist = new Map<string, string>();
  #stopped = false;

  constructor(deps: KubeletDeps) {
    const c = deps.config;
    this.config = c;
    this.#client = deps.client;
    this.#runtime = deps.runtime;
    this.#log = deps.log ?? ((m) => console.warn(`kubelet ${c.nodeName}: ${m}`));
    this.#provisioner = new LocalPathProvisioner({
      nodeName: c.nodeName,
      dataDir: c.dataDir,
      client: deps.client,
      ...(c.defaultReclaimPolicy ? { defaultReclaimPolicy: c.defaultReclaimPolicy } : {}),
    });
    const sa = c.serviceAccount;
    this.#ctx = {
      runtime: deps.runtime,
      client: deps.client,
      hostIP: c.nodeAddress,
      backOff: c.backOff ?? defaultBackOffPolicy,
      volumes: {
        dataDir: c.dataDir,
        client: deps.client,
        provisioner: this.#provisioner,
        serviceAccount: sa,
      },
      images: new ImagePolicy(deps.runtime),
      clusterEnv: sa
        ? {
            KUBERNETES_SERVICE_HOST: sa.apiHost,
            KUBERNETES_SERVICE_PORT: String(sa.apiPort),
            KUBERNETES_PORT: `tcp://${sa.apiHost}:${sa.apiPort}`,
          }
        : {},
      resyncMs: c.podResyncIntervalMs ?? 10_000,
      record: (pod, type, reason, message) => this.#record(pod, type, reason, message),
      log: this.#log,
    };
    if (c.registerNode !== false) {
      this.#heartbeat = new NodeHeartbeat({
        nodeName: c.nodeName,
        client: deps.client,
        runtime: deps.runtime,
        dataDir: c.dataDir,
        addresses: c.addresses ?? [
          { type: 'InternalIP', address: c.nodeAddress },
          { type: 'Hostname', address: c.nodeName },
        ],
        kubeletVersion: `v1.30.0-kedge.${AGENT_VERSION}`,
        maxPods: c.maxPods ?? 110,
        ...(c.nodeLabels ? { labels: c.nodeLabels } : {}),
        statusIntervalMs: c.nodeStatusIntervalMs ?? 10_000,
        leaseRenewMs: c.leaseRenewIntervalMs ?? 5_000,
        leaseDurationSeconds: c.leaseDurationSeconds ?? 40,
        ...(c.nodeProbe ? { probe: c.nodeProbe } : {}),
        log: this.#log,
      });
    }
  }

  /** The pods this kubelet currently runs, by uid. */
  get podUids(): string[] {
    return [...this.#workers.keys()];
  }

  /** Registers the node, adopts what is running, then follows the pods bound here. */
  async start(): Promise<void> {
    if (this.#heartbeat) await this.#heartbeat.start();
    const listed = await this.#client.listPods(this.config.nodeName);
    if (listed instanceof StatusError) throw new Error(`kubelet cannot list its pods: ${listed.message}`);
    // Subscribed before adoption lists the runtime, so no exit falls between the two.
    void this.#followContainerEvents();
    await this.#adopt(listed.pods);
    await this.#follow(listed.resourceVersion);
    this.#scheduleRelist();
    this.#scheduleReclaim();
  }

  /** Stops watching and timers; the pods keep running (an agent restart must not kill them). */
  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
    this.#heartbeat?.stop();
    this.#events.abort();
    clearTimeout(this.#relistTimer);
    clearTimeout(this.#reclaimTimer);
    for (const w of this.#workers.values()) w.detach();
    this.#workers.clear();
  }

  /** Resolves when the pod with this uid is completely gone from the node. */
  async podGone(uid: string): Promise<void> {
    await this.#workers.get(uid)?.finished;
  }

  /** CPU and memory of every running container here (metrics API, Prometheus). */
  containerUsage(): Promise<ContainerUsage[]> {
    return containerUsage(this.#runtime, this.config.nodeName);
  }

  /** A pod's log as a stream of lines (the API server proxies `GET .../pods/{name}/log` here). */
  podLogs(request: PodLogRequest): AsyncIterable<string> {
    return podLogs(this.#runtime, this.#client, this.config.nodeName, request);
  }

  /** The running container a `kubectl exec` runs in (the node's exec endpoint asks here). */
  execTarget(request: ExecTargetRequest): Promise<ExecTarget> {
    return execTarget(this.#runtime, this.#client, this.config.nodeName, request);
  }

  /** Where a `kubectl port-forward` connects (the node's port-forward endpoint asks here). */
  portForwardTarget(request: { namespace: string; name: string }): Promise<PortForwardTarget> {
    return portForwardTarget(this.#client, this.config.nodeName, request);
  }

  async #adopt(pods: Pod[]): Promise<void> {
    const live = new Map(pods.filter((p) => p.metadata.uid).map((p) => [p.metadata.uid ?? '', p]));
    const node = { [LABEL.node]: this.config.nodeName };
    const [sandboxes, containers] = await Promise.all([
      this.#runtime.listPodSandboxes(node),
      this.#runtime.listContainers(node),
    ]);
    const byPod = groupByPod(containers);
    for (const s of sandboxes) {
      const pod = live.get(s.uid);
      if (pod === undefined) {
        this.#log(
          `removing sandbox ${s.runtimeName}: no pod ${s.namespace}/${s.name} (uid ${s.uid}) is bound here`,
        );
        // In the background and with a grace: the pod was replaced elsewhere while this agent was
        // down, but proxies (this node's, restarted from its saved table, first of all) may still
        // send it requests for a moment; a SIGTERM lets it finish them rather than reset them.
        void this.#runtime
          .stopPodSandbox(s.id, ORPHAN_GRACE_SECONDS)
          .then(() => this.#runtime.removePodSandbox(s.id))
          .catch((error: Error) => this.#log(`removing sandbox ${s.runtimeName} failed: ${error.message}`));
        continue;
      }
      if (this.#workers.has(s.uid)) {
        // Two sandboxes for one pod (a crash between create and record): keep the first, drop the rest.
        await this.#runtime.removePodSandbox(s.id);
        continue;
      }
      const sandbox = { id: s.id, ready: s.state === 'ready', ip: s.ip, createdAt: s.createdAt };
      this.#workers.set(
        s.uid,
        new PodWorker(pod, this.#ctx, { sandbox, containers: byPod.get(s.uid) ?? [] }),
      );
    }
    for (const [uid, runs] of byPod) {
      if (live.has(uid)) continue;
      for (const c of runs) await this.#runtime.removeContainer(c.id);
    }
    const podsDir = join(this.config.dataDir, 'pods');
    for (const uid of await readdir(podsDir).catch(() => [] as string[])) {
      if (!live.has(uid)) await tearDownVolumes(this.config.dataDir, uid);
    }
    // Pods with nothing in the runtime start from a known-empty state (no lookups needed).
    for (const pod of pods) this.#ensureWorker(pod);
    for (const w of this.#workers.values()) w.poke();
  }

  #ensureWorker(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    if (uid === '' || this.#stopped) return;
    const existing = this.#workers.get(uid);
    if (existing) {
      existing.update(pod);
      return;
    }
    // Adoption has seen everything in the runtime: a pod without a worker has nothing there.
    const worker = new PodWorker(pod, this.#ctx, { containers: [] });
    this.#workers.set(uid, worker);
    void worker.finished.then(() => {
      if (this.#workers.get(uid) === worker) this.#workers.delete(uid);
    });
    worker.poke();
  }

  async #follow(resourceVersion: string): Promise<void> {
    const watch = await this.#client.watchPods(this.config.nodeName, resourceVersion, (e) => {
      if (e.type === 'DELETED') this.#workers.get(e.pod.metadata.uid ?? '')?.markRemoved();
      else this.#ensureWorker(e.pod);
    });
    if (watch instanceof StatusError) throw new Error(`kubelet cannot watch its pods: ${watch.message}`);
    this.#watch = watch;
    void watch.closed.then(async (err) => {
      if (this.#stopped || err === undefined) return;
      this.#log(`pod watch ended (${err.message}); listing again`);
      await this.#resume();
    });
  }

  /** After a broken watch: list, reconcile the workers with the list, watch again. */
  async #resume(): Promise<void> {
    while (!this.#stopped) {
      const listed = await this.#client.listPods(this.config.nodeName);
      if (!(listed instanceof StatusError)) {
        const uids = new Set(listed.pods.map((p) => p.metadata.uid));
        for (const [uid, w] of this.#workers) if (!uids.has(uid)) w.markRemoved();
        for (const p of listed.pods) this.#ensureWorker(p);
        try {
          await this.#follow(listed.resourceVersion);
          return;
        } catch (err) {
          this.#log((err as Error).message);
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /**
   * Relists whenever a container of this node dies, is OOM-killed or removed: the event says
   * that something changed, the listing says what (one code path for both, and a lost or
   * duplicated event costs nothing but a listing).
   */
  async #followContainerEvents(): Promise<void> {
    const events = this.#runtime.containerEvents?.bind(this.#runtime);
    if (!events) return;
    const signal = this.#events.signal;
    while (!this.#stopped) {
      this.#eventsLive = true;
      try {
        for await (const e of events({ [LABEL.node]: this.config.nodeName }, signal)) {
          if (RELIST_ON.has(e.action)) this.#scheduleRelist(0);
        }
      } catch (err) {
        if (!this.#stopped)
          this.#log(
            `container events stopped (${(err as Error).message}); relisting every ${this.#relistEveryMs(false)} ms until they are back`,
          );
      }
      this.#eventsLive = false;
      if (this.#stopped) return;
      this.#scheduleRelist();
      await new Promise((r) => setTimeout(r, EVENTS_RETRY_MS));
    }
  }

  #relistEveryMs(eventsLive: boolean): number {
    return eventsLive
      ? (this.config.eventRelistIntervalMs ?? 10_000)
      : (this.config.relistIntervalMs ?? 2000);
  }

  /** (Re)arms the relist timer; a relist asked for while one runs runs again right after it. */
  #scheduleRelist(delayMs?: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#relistTimer);
    this.#relistTimer = setTimeout(
      () => void this.#runRelist(),
      delayMs ?? this.#relistEveryMs(this.#eventsLive),
    );
  }

  async #runRelist(): Promise<void> {
    if (this.#relisting) {
      this.#relistAgain = true;
      return;
    }
    this.#relisting = true;
    let refused = false;
    try {
      refused = await this.relist();
    } catch (err) {
      this.#log(`relist failed: ${(err as Error).message}`);
    }
    this.#relisting = false;
    if (this.#relistAgain) {
      this.#relistAgain = false;
      this.#scheduleRelist(0);
      return;
    }
    // A worker busy with a sync refused what changed: offer it again soon, not at the safety net.
    const every = this.#relistEveryMs(this.#eventsLive);
    this.#scheduleRelist(refused ? Math.min(every, REFUSED_RETRY_MS) : every);
  }

  /**
   * One listing of this node's containers; wakes the workers whose pods changed. True when a
   * worker refused a change (it was mid-sync) and must be offered it again.
   */
  async relist(): Promise<boolean> {
    const listedAt = performance.now();
    const containers = await this.#runtime.listContainers({ [LABEL.node]: this.config.nodeName });
    const took = performance.now() - listedAt;
    // Exits are noticed this late; say so, as a slow runtime explains slow restarts.
    if (took > 5000) this.#log(`relist took ${Math.round(took)} ms (the runtime is slow to answer)`);
    const byPod = groupByPod(containers);
    const next = new Map<string, string>();
    let refused = false;
    for (const [uid, w] of this.#workers) {
      const runs = byPod.get(uid) ?? [];
      const signature = runs
        .map((c) => `${c.id}:${c.state}:${c.exitCode ?? ''}`)
        .sort()
        .join(',');
      const seen = this.#lastRelist.get(uid);
      if (seen === signature || w.observe(runs, listedAt)) next.set(uid, signature);
      else {
        refused = true;
        if (seen !== undefined) next.set(uid, seen);
      }
    }
    this.#lastRelist = next;
    return refused;
  }

  #scheduleReclaim(): void {
    if (this.#stopped) return;
    this.#reclaimTimer = setTimeout(async () => {
      try {
        for (const line of await this.#provisioner.reclaim()) this.#log(`local volumes: ${line}`);
      } catch (err) {
        this.#log(`reclaiming local volumes failed: ${(err as Error).message}`);
      }
      this.#scheduleReclaim();
    }, this.config.reclaimIntervalMs ?? 10_000);
  }

  /** Reclaims released local volumes now (tests; the timer does it periodically). */
  reclaimVolumes(): Promise<string[]> {
    return this.#provisioner.reclaim();
  }

  #record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = kubeTime(new Date());
    const name = `${pod.metadata.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
    void this.#client
      .recordEvent({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: pod.metadata.namespace ?? 'default' },
        involvedObject: {
          kind: 'Pod',
          apiVersion: 'v1',
          namespace: pod.metadata.namespace ?? 'default',
          name: pod.metadata.name ?? '',
          uid: pod.metadata.uid ?? '',
        },
        reason,
        message,
        type,
        source: { component: 'kubelet', host: this.config.nodeName },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: 'kubelet',
        reportingInstance: this.config.nodeName,
      })
      .then((out) => {
        if (out instanceof StatusError)
          this.#log(`event ${reason} for ${pod.metadata.name} not recorded: ${out.message}`);
      });
  }
}

/** Container events that change what a pod's status or plan depends on. */
const RELIST_ON = new Set(['died', 'oom', 'remove', 'exited', 'stop']);
const EVENTS_RETRY_MS = 1000;
const REFUSED_RETRY_MS = 500;

function groupByPod(containers: readonly RuntimeContainer[]): Map<string, RuntimeContainer[]> {
  const out = new Map<string, RuntimeContainer[]>();
  for (const c of containers) {
    const uid = c.labels[LABEL.podUid];
    if (!uid) continue;
    const list = out.get(uid) ?? [];
    list.push(c);
    out.set(uid, list);
  }
  return out;
}
