/**
 * Loads the browser modules (plain JS, typed by JSDoc and checked by app/tsconfig.json) into the
 * Node tests. The root program has no allowJs, so their signatures are restated here, narrowly:
 * only what the tests call.
 */
export interface TimelineEntry {
  at: number;
  term: number;
  kind: 'leader' | 'election';
  leaderId: number;
  leaderName: string;
}

interface AppModules {
  'actions.js': {
    ActionError: new (kind: string, message: string) => Error;
    drainPlan: (node: string, pods: never) => { requests: { describe: string }[]; skipped: string[] };
    rollbackRequest: (deployment: never, replicaSets: never) => { body: unknown };
    scaleRequest: (namespace: string, name: string, replicas: number) => object;
  };
  'agent-pool.js': {
    AgentPool: new (
      token: string,
      origin: string,
    ) => EventTarget & {
      setAgents(addresses: string[], leader?: string): void;
      failed(origin: string, error: unknown): void;
    };
  };
  'leader-timeline.js': {
    observeLeadership: (timeline: TimelineEntry[], status: unknown, now: number) => TimelineEntry[];
    leadershipOf: (status: unknown) => { kind: string };
    healthOf: (health: string) => { state: string; reason: string };
  };
  'metrics-history.js': {
    recordSamples: (
      history: Map<string, unknown>,
      list: unknown,
      nodeByName: (name: string) => unknown,
    ) => string[];

    chartTimeRange: (
      min: number | null,
      max: number | null,
      times: number[],
      minSpan?: number,
    ) => [number | null, number | null];
  };
  'ndjson.js': { splitLines: (rest: string, chunk: string) => { lines: string[]; rest: string } };
  'object-cache.js': {
    cacheFromList: (list: unknown) => { objects: Map<string, unknown>; resourceVersion: string };
    applyWatchEvent: (cache: unknown, event: unknown) => string;
  };
  'quantity.js': { parseQuantity: (q: string) => number };
  'workload-rows.js': {
    podRow: (pod: never, now: number) => object;
    serviceRow: (s: never, e: never) => object;
  };
}

export async function loadAppModule<K extends keyof AppModules>(name: K): Promise<AppModules[K]> {
  const url = new URL(`../../../agent/src/web/app/${name}`, import.meta.url).href;
  return (await import(url)) as AppModules[K];
}
