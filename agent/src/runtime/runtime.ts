/**
 * The container runtime as the kubelet sees it: one level below Kubernetes objects, shaped like
 * the CRI (pod sandboxes, containers, images, stats, logs, exec). Drivers implement it; the
 * kubelet never calls a container CLI itself. Restart policy, probes and back-off live above.
 */

export type Labels = Readonly<Record<string, string>>;

export interface PortMapping {
  /** Address on the node to publish on, e.g. `127.0.0.1` or `0.0.0.0`. */
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface DnsConfig {
  readonly servers?: readonly string[];
  readonly searches?: readonly string[];
  readonly options?: readonly string[];
}

export interface PodSandboxConfig {
  /** The pod's name in its namespace; the sandbox's own name is derived from name, namespace and uid. */
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
  /** Extra labels beside the ownership labels the driver adds. */
  readonly labels: Labels;
  readonly hostname: string;
  readonly portMappings: readonly PortMapping[];
  readonly dns?: DnsConfig;
}

export type SandboxState = 'ready' | 'notready';

export interface PodSandboxStatus {
  readonly id: string;
  /** The runtime's name for the sandbox (the podman pod's name). */
  readonly runtimeName: string;
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
  readonly state: SandboxState;
  /** The pod's address on the container network; undefined while the sandbox is not running. */
  readonly ip: string | undefined;
  readonly createdAt: Date | undefined;
  readonly labels: Labels;
}

export interface Mount {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
}

export interface ContainerConfig {
  /** The container's name within its pod. */
  readonly name: string;
  readonly image: string;
  /** Replaces the image's entrypoint when given (Kubernetes `command`). */
  readonly command?: readonly string[];
  /** Replaces the image's cmd when given (Kubernetes `args`). */
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly mounts?: readonly Mount[];
  readonly memoryLimitBytes?: number;
  /** CPU limit in cores, fractional (0.5 = half a core). */
  readonly cpuLimit?: number;
  readonly labels?: Labels;
  /** `uid`, `uid:gid` or a user name known to the image. */
  readonly user?: string;
  /** Which run of this container in its pod this is (0, 1, ...): kept so `previous` logs can be found. */
  readonly attempt?: number;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  readonly id: string;
  /** The container's name within its pod (from its label), or the runtime's name when unlabelled. */
  readonly name: string;
  readonly runtimeName: string;
  readonly sandboxId: string | undefined;
  readonly state: ContainerState;
  readonly exitCode: number | undefined;
  readonly startedAt: Date | undefined;
  readonly finishedAt: Date | undefined;
  readonly oomKilled: boolean;
  /** Kubernetes-style reason for a finished container: OOMKilled, Error or Completed. */
  readonly reason: string | undefined;
  /** The runtime's own error text, when it gave one (e.g. a failed start). */
  readonly message: string | undefined;
  readonly labels: Labels;
  readonly image: string;
  readonly imageId: string;
  readonly attempt: number;
}

export interface ImageInfo {
  readonly id: string;
  readonly names: readonly string[];
  readonly sizeBytes: number;
}

export interface ContainerStats {
  readonly id: string;
  /** CPU use now, in billionths of a core (1e9 = one full core). */
  readonly cpuNanoCores: number;
  /** The same as a percentage of one core (100 = one core). */
  readonly cpuPercent: number;
  /** Cumulative CPU time in nanoseconds. */
  readonly cpuUsageCoreNanoSeconds: number;
  /** Memory in use as the runtime reports it (podman: the cgroup's usage). */
  readonly memoryWorkingSetBytes: number;
  readonly memoryLimitBytes: number | undefined;
  readonly pids: number;
  readonly timestamp: Date;
}

export interface LogOptions {
  readonly follow?: boolean;
  readonly tailLines?: number;
  readonly timestamps?: boolean;
  readonly since?: Date;
  /** Logs of the previous run of this container in its pod (same pod uid and name, lower attempt). */
  readonly previous?: boolean;
  /** Stops a follow; the iterable then ends. */
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Something that happened to a container, as the runtime reported it the moment it did. */
export interface ContainerEvent {
  readonly id: string;
  /** The runtime's word: `create`, `start`, `died`, `oom`, `remove`, ... */
  readonly action: string;
  /** The container's labels (podman sends them with each event). */
  readonly labels: Labels;
  readonly exitCode: number | undefined;
}

/** Exact-match label selector: every key must be present with this value. */
export type LabelFilter = Labels;

export interface ContainerRuntime {
  /** `podman` or `docker`, with its version. */
  version(): Promise<{ name: string; version: string }>;

  createPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container of the sandbox and the sandbox itself; idempotent. */
  stopPodSandbox(id: string, gracePeriodSeconds?: number): Promise<void>;
  /**
   * Removes the sandbox with its containers, killing what still runs (stop it first for a
   * graceful end); idempotent (a missing sandbox is not an error).
   */
  removePodSandbox(id: string): Promise<void>;
  listPodSandboxes(filter?: LabelFilter): Promise<PodSandboxStatus[]>;
  inspectPodSandbox(id: string): Promise<PodSandboxStatus>;

  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL once the grace period has passed. */
  stopContainer(id: string, gracePeriodSeconds: number): Promise<void>;
  /** Kills the container if it still runs and removes it; idempotent. */
  removeContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerStatus>;
  listContainers(filter?: LabelFilter): Promise<ContainerStatus[]>;

  imageExists(ref: string): Promise<boolean>;
  pullImage(ref: string): Promise<void>;
  listImages(): Promise<ImageInfo[]>;

  /** Usage of running containers, measured in one runtime call; ids that are not running are absent. */
  containerStats(ids: readonly string[]): Promise<ContainerStats[]>;
  /** The container's output, one line per item; with `follow` it ends when the signal aborts. */
  containerLogs(id: string, options?: LogOptions): AsyncIterable<string>;
  exec(id: string, command: readonly string[], options?: { timeoutMs?: number }): Promise<ExecResult>;

  /**
   * Container events matching the labels as they happen, until the signal aborts; the iterable
   * throws when the source fails (the caller falls back to listing). Optional: a runtime without
   * events is listed periodically instead.
   */
  containerEvents?(filter: LabelFilter, signal: AbortSignal): AsyncIterable<ContainerEvent>;
}
