import { LABEL } from './labels.ts';
import type { ContainerState, ContainerStatus, ImageInfo, Labels, PodSandboxStatus } from './runtime.ts';

/**
 * Parsers for what podman and docker print with `--format json` (or `{{json .}}` per line).
 * Both CLIs change field names and shapes between versions, so every read is defensive: a
 * missing field becomes undefined, never a crash, and the shape is checked, not assumed.
 */

type Json = Record<string, unknown>;

/** A JSON array, a single object, or one object per line (docker's `{{json .}}`); empty is []. */
export function parseJsonRecords(text: string): Json[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    return Array.isArray(parsed) ? parsed.filter(isRecord) : [];
  }
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (isRecord(parsed)) return [parsed];
  } catch (err) {
    // Not one document: fall through to one object per line, and let that parse report errors.
    if (!(err instanceof SyntaxError)) throw err;
  }
  return trimmed
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown)
    .filter(isRecord);
}

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(obj: unknown, ...path: string[]): unknown {
  let current: unknown = obj;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function labelsOf(value: unknown): Labels {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Go's zero time ("0001-01-01T00:00:00Z") and unparsable text mean "never". */
export function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value.startsWith('0001-01-01')) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function containerState(status: string | undefined): ContainerState {
  switch ((status ?? '').toLowerCase()) {
    case 'created':
    case 'configured':
    case 'initialized':
      return 'created';
    case 'running':
    case 'paused':
    case 'stopping':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'stopped':
    case 'dead':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** Kubernetes' reason for a finished container. */
export function exitReason(state: ContainerState, exitCode: number | undefined, oomKilled: boolean) {
  if (state !== 'exited') return undefined;
  if (oomKilled) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}

/**
 * One element of `podman inspect` / `docker inspect` for a container. `kernelOom` is what the
 * kernel's log says when the runtime missed the OOM kill (podman with cgroup v1 does).
 */
export function parseContainerInspect(obj: Json, kernelOom = false): ContainerStatus {
  const labels = labelsOf(field(obj, 'Config', 'Labels'));
  const runtimeName = (str(obj.Name) ?? '').replace(/^\//, '');
  const state = containerState(str(field(obj, 'State', 'Status')));
  const exitCode = num(field(obj, 'State', 'ExitCode'));
  const oomKilled = field(obj, 'State', 'OOMKilled') === true || (state === 'exited' && kernelOom);
  const error = str(field(obj, 'State', 'Error'));
  const attempt = Number(labels[LABEL.containerAttempt] ?? '0');
  return {
    id: str(obj.Id) ?? '',
    name: labels[LABEL.containerName] ?? runtimeName,
    runtimeName,
    sandboxId: labels[LABEL.sandboxId] ?? (str(obj.Pod) || undefined),
    state,
    exitCode: state === 'exited' ? exitCode : undefined,
    startedAt: parseTime(field(obj, 'State', 'StartedAt')),
    finishedAt: state === 'exited' ? parseTime(field(obj, 'State', 'FinishedAt')) : undefined,
    oomKilled,
    reason: exitReason(state, exitCode, oomKilled),
    message: error ? error : undefined,
    labels,
    // podman keeps the name the user asked for in ImageName; docker in Config.Image.
    image: str(obj.ImageName) ?? str(field(obj, 'Config', 'Image')) ?? '',
    imageId: str(obj.Image) ?? '',
    attempt: Number.isInteger(attempt) ? attempt : 0,
  };
}

/** The pod's address from its infra (or pause) container's inspect. */
export function containerIp(obj: Json): string | undefined {
  const direct = str(field(obj, 'NetworkSettings', 'IPAddress'));
  if (direct) return direct;
  const networks = field(obj, 'NetworkSettings', 'Networks');
  if (isRecord(networks)) {
    for (const net of Object.values(networks)) {
      const ip = str(field(net, 'IPAddress'));
      if (ip) return ip;
    }
  }
  return undefined;
}

/** `podman pod inspect` of one pod (an object in podman 4, an array in podman 5). */
export function parsePodInspect(obj: Json, infra: Json | undefined): PodSandboxStatus {
  const labels = labelsOf(obj.Labels);
  const infraRunning = infra ? containerState(str(field(infra, 'State', 'Status'))) === 'running' : false;
  return {
    id: str(obj.Id) ?? '',
    runtimeName: str(obj.Name) ?? '',
    name: labels[LABEL.podName] ?? str(obj.Name) ?? '',
    uid: labels[LABEL.podUid] ?? '',
    namespace: labels[LABEL.podNamespace] ?? '',
    state: infraRunning ? 'ready' : 'notready',
    ip: infraRunning && infra ? containerIp(infra) : undefined,
    createdAt: parseTime(obj.Created),
    labels,
  };
}

/** docker's sandbox is its pause container: the same status from that container's inspect. */
export function parsePauseContainerInspect(obj: Json): PodSandboxStatus {
  const status = parseContainerInspect(obj);
  const running = status.state === 'running';
  return {
    id: status.id,
    runtimeName: status.runtimeName,
    name: status.labels[LABEL.podName] ?? status.runtimeName,
    uid: status.labels[LABEL.podUid] ?? '',
    namespace: status.labels[LABEL.podNamespace] ?? '',
    state: running ? 'ready' : 'notready',
    ip: running ? containerIp(obj) : undefined,
    createdAt: parseTime(obj.Created),
    labels: status.labels,
  };
}

/** `podman images --format json` or docker's `{{json .}}` lines. */
export function parseImages(text: string): ImageInfo[] {
  return parseJsonRecords(text).map((obj) => {
    const names = Array.isArray(obj.Names) ? obj.Names.filter((n): n is string => typeof n === 'string') : [];
    const repo = str(obj.Repository);
    const tag = str(obj.Tag);
    if (names.length === 0 && repo && repo !== '<none>') names.push(`${repo}:${tag ?? 'latest'}`);
    return {
      id: str(obj.Id) ?? str(obj.ID) ?? '',
      names,
      sizeBytes: num(obj.Size) ?? parseByteSize(str(obj.Size) ?? '') ?? 0,
    };
  });
}

/** A raw stats sample: cumulative CPU time at a point in time, and memory. */
export interface StatsSample {
  readonly id: string;
  readonly cpuTotalNanos: number | undefined;
  /** When the sample was taken, in nanoseconds (podman's SystemNano). */
  readonly sampledAtNanos: number | undefined;
  /** The runtime's own CPU percentage (of one core), used when there is no earlier sample. */
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number | undefined;
  readonly pids: number;
}

/**
 * One line of `podman stats --format '{{json .ContainerStats}}'` (exact numbers), or of docker's
 * `{{json .}}` (rounded human text such as "2.1MiB / 32MiB" and "0.50%": the best docker offers).
 * Returns undefined for a container that is not running (podman prints zeros for those).
 */
export function parseStatsRecord(obj: Json): StatsSample | undefined {
  const podmanId = str(obj.ContainerID);
  if (podmanId !== undefined) {
    const sampledAt = num(obj.SystemNano);
    if (!sampledAt) return undefined;
    const limit = num(obj.MemLimit);
    return {
      id: podmanId,
      cpuTotalNanos: num(obj.CPUNano),
      sampledAtNanos: sampledAt,
      cpuPercent: num(obj.CPU) ?? 0,
      memoryBytes: num(obj.MemUsage) ?? 0,
      memoryLimitBytes: limit ? limit : undefined,
      pids: num(obj.PIDs) ?? 0,
    };
  }
  const dockerId = str(obj.ID) ?? str(obj.Container);
  if (dockerId === undefined) return undefined;
  const [usage, limit] = (str(obj.MemUsage) ?? '').split('/');
  return {
    id: dockerId,
    cpuTotalNanos: undefined,
    sampledAtNanos: undefined,
    cpuPercent: Number.parseFloat(str(obj.CPUPerc) ?? '0') || 0,
    memoryBytes: parseByteSize(usage ?? '') ?? 0,
    memoryLimitBytes: parseByteSize(limit ?? ''),
    pids: Number.parseInt(str(obj.PIDs) ?? '0', 10) || 0,
  };
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** "2.146MB", "32MiB", "0B" -> bytes; undefined when it is not a size. */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*([\d.]+)\s*([kmgt]?i?b)\s*$/i.exec(text);
  if (!match) return undefined;
  const factor = UNITS[(match[2] ?? '').toLowerCase()];
  const value = Number.parseFloat(match[1] ?? '');
  if (factor === undefined || Number.isNaN(value)) return undefined;
  return Math.round(value * factor);
}
