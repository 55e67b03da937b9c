/**
 * Where a scale-up's time goes, seen from a watch on the pods (millisecond client clock; the API's
 * timestamps have second precision, too coarse for stages of a few hundred ms):
 *
 *   PATCH replicas ─> ADDED (ReplicaSet created it) ─> spec.nodeName set (scheduler bound it)
 *                  ─> phase Running (kubelet started it) ─> Ready condition True (status written)
 *
 * Pure bookkeeping over watch events plus the summary; the HTTPS watch itself is `watchPods`.
 */
import { request } from 'node:https';
import { percentile } from './timing.ts';

export interface PodWatchObject {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

/** Milliseconds after the PATCH at which each stage was first seen. */
export interface PodStages {
  created: number;
  bound?: number;
  node?: string;
  running?: number;
  ready?: number;
  /** From podman's event log: the kubelet's first podman write (the sandbox container created). */
  podmanFirst?: number;
  /** From podman's event log: the pod's main container started. */
  containerStarted?: number;
}

/** One line of `podman events --format json`. */
export interface PodmanEvent {
  readonly Type: string;
  readonly Status: string;
  readonly Time: string;
  readonly Attributes?: Record<string, string> | null;
}

export class PodTimeline {
  readonly #t0: number;
  readonly #known: ReadonlySet<string>;
  readonly pods = new Map<string, PodStages>();

  /** `known`: pods that existed before the PATCH (not part of the scale-up). */
  constructor(t0: number, known: ReadonlySet<string>) {
    this.#t0 = t0;
    this.#known = known;
  }

  observe(type: string, pod: PodWatchObject, at: number): void {
    const name = pod.metadata.name;
    if (this.#known.has(name) || type === 'DELETED' || pod.metadata.deletionTimestamp !== undefined) return;
    const t = at - this.#t0;
    let s = this.pods.get(name);
    if (s === undefined) {
      s = { created: t };
      this.pods.set(name, s);
    }
    if (s.bound === undefined && (pod.spec.nodeName ?? '') !== '') {
      s.bound = t;
      s.node = pod.spec.nodeName;
    }
    if (s.running === undefined && pod.status?.phase === 'Running') s.running = t;
    if (
      s.ready === undefined &&
      (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
    )
      s.ready = t;
  }

  /** Adds the container runtime's side from podman's event log (same machine, same clock). */
  observePodman(events: readonly PodmanEvent[]): void {
    for (const e of events) {
      const name = e.Attributes?.['io.kedge.pod.name'];
      const s = name === undefined ? undefined : this.pods.get(name);
      if (s === undefined || e.Type !== 'container') continue;
      const t = Date.parse(e.Time) - this.#t0;
      if (s.podmanFirst === undefined || t < s.podmanFirst) s.podmanFirst = t;
      if (e.Status === 'start' && e.Attributes?.['io.kedge.role'] === 'container')
        if (s.containerStarted === undefined || t < s.containerStarted) s.containerStarted = t;
    }
  }

  readyCount(): number {
    let n = 0;
    for (const s of this.pods.values()) if (s.ready !== undefined) n++;
    return n;
  }

  /** Lines for the log: when each stage was reached by the first/median/last pod, per-pod gaps, per node. */
  summary(): string[] {
    const all = [...this.pods.values()];
    const stage = (pick: (s: PodStages) => number | undefined): number[] =>
      all.map(pick).filter((v): v is number => v !== undefined);
    const spread = (v: number[]) =>
      v.length === 0
        ? 'n/a'
        : `first ${Math.round(Math.min(...v))} / p50 ${Math.round(percentile(v, 50))} / last ${Math.round(Math.max(...v))} ms`;
    const gap = (a: (s: PodStages) => number | undefined, b: (s: PodStages) => number | undefined) =>
      all.flatMap((s) => {
        const x = a(s);
        const y = b(s);
        return x !== undefined && y !== undefined ? [y - x] : [];
      });
    type Stage = (s: PodStages) => number | undefined;
    const stages: [string, Stage][] = [
      ['created (ADDED)', (s) => s.created],
      ['bound (nodeName)', (s) => s.bound],
      ['first podman write', (s) => s.podmanFirst],
      ['container started', (s) => s.containerStarted],
      ['Running (watch)', (s) => s.running],
      ['Ready (watch)', (s) => s.ready],
    ];
    const lines = [`pods ${all.length}`];
    for (const [name, pick] of stages) lines.push(`${name.padEnd(36)} ${spread(stage(pick))}`);
    for (const [i, [name, pick]] of stages.entries()) {
      const previous = stages[i - 1];
      if (previous !== undefined)
        lines.push(`gap ${`${previous[0]} -> ${name}`.padEnd(32)} ${spread(gap(previous[1], pick))}`);
    }
    const nodes = new Map<string, PodStages[]>();
    for (const s of all) nodes.set(s.node ?? '-', [...(nodes.get(s.node ?? '-') ?? []), s]);
    for (const [node, list] of [...nodes].sort())
      lines.push(
        `node ${node}: ${list.length} pods; Ready ${spread(list.flatMap((s) => (s.ready === undefined ? [] : [s.ready])))}; most pods between first podman write and container start at once: ${mostAtOnce(list)}`,
      );
    return lines;
  }
}

export interface PodWatch {
  stop(): void;
}

/** A watch on the namespace's pods with `labelSelector`, from `resourceVersion`; each event goes to `onEvent`. */
export function watchPods(options: {
  readonly address: string;
  readonly caPem: string;
  readonly token: string;
  readonly labelSelector: string;
  readonly resourceVersion: string;
  readonly onEvent: (type: string, pod: PodWatchObject, at: number) => void;
  readonly onError: (error: Error) => void;
}): PodWatch {
  const [host, port] = options.address.split(':');
  const query = new URLSearchParams({
    watch: 'true',
    labelSelector: options.labelSelector,
    resourceVersion: options.resourceVersion,
  });
  let stopped = false;
  const req = request(
    {
      host,
      port: Number(port),
      method: 'GET',
      path: `/api/v1/namespaces/default/pods?${query}`,
      ca: options.caPem,
      headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
    },
    (res) => {
      if (res.statusCode !== 200) {
        options.onError(new Error(`pod watch: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const at = Date.now();
        buffer += chunk;
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line === '') continue;
          const event = JSON.parse(line) as { type: string; object: PodWatchObject };
          if (event.type === 'ERROR') options.onError(new Error(`pod watch: ${line.slice(0, 300)}`));
          else if (event.type !== 'BOOKMARK') options.onEvent(event.type, event.object, at);
        }
      });
      res.on('end', () => {
        if (!stopped) options.onError(new Error('pod watch: the server closed the stream'));
      });
    },
  );
  req.on('error', (e) => {
    if (!stopped) options.onError(e);
  });
  req.end();
  return {
    stop: () => {
      stopped = true;
      req.destroy();
    },
  };
}

/** The largest number of pods whose podman work (first write -> container started) overlapped. */
function mostAtOnce(pods: readonly PodStages[]): number {
  const edges: [number, number][] = [];
  for (const p of pods)
    if (p.podmanFirst !== undefined && p.containerStarted !== undefined)
      edges.push([p.podmanFirst, 1], [p.containerStarted, -1]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) {
    now += d;
    most = Math.max(most, now);
  }
  return most;
}
