/**
 * The podman (or docker) driver behind ContainerRuntime: createPodmanRuntime chooses the door to
 * podman (its REST API through a service of our own, else a CLI process per call), and
 * PodmanRuntime is the facade that hands each call to the module for that capability.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_IMAGE } from '../image/base-image.ts';
import { containerLogs, containerStats, execInContainer } from './container-diagnostics.ts';
import { podmanContainerEvents } from './container-events.ts';
import { ContainerInspection } from './container-inspection.ts';
import { createContainer, removeContainer, startContainer, stopContainer } from './container-lifecycle.ts';
import { writeContainersConf } from './containers-conf.ts';
import { type KernelOomLog, kernelOomLog } from './oom-kernel-log.ts';
import { PodSandboxes } from './pod-sandboxes.ts';
import { PodmanApi } from './podman-api.ts';
import type { SandboxKind } from './podman-args.ts';
import { isDocker, type PodmanCli, type PodmanConfig, podmanCli } from './podman-cli.ts';
import type { PodmanDriver } from './podman-driver.ts';
import { imageExists, listImages, pullImage } from './podman-images.ts';
import { type PodmanService, startPodmanService } from './podman-service.ts';
import type {
  ContainerConfig,
  ContainerEvent,
  ContainerRuntime,
  ContainerStats,
  ContainerStatus,
  ExecResult,
  ImageInfo,
  LabelFilter,
  LogOptions,
  PodSandboxConfig,
  PodSandboxStatus,
} from './runtime.ts';
import { StatsRates } from './stats-rates.ts';

export interface PodmanRuntimeOptions {
  /** This node's name, written on everything we create (io.kedge.node). */
  readonly nodeName: string;
  readonly cli: PodmanCli;
  /** docker only (it has no pods): the pause container's image and command. */
  readonly pauseImage?: string;
  readonly pauseCommand?: readonly string[];
  /** Where OOM kills are learned when the runtime misses them; undefined disables that check. */
  readonly oomLog?: KernelOomLog | undefined;
  /** Time for `pullImage`; registries can be slow, and unreachable ones retry. */
  readonly pullTimeoutMs?: number;
  /** podman's REST API service; without it (or once it is gone) every call is a CLI process. */
  readonly service?: PodmanService | undefined;
  /** Why there is no service, for `mode` to say. */
  readonly serviceUnavailable?: string | undefined;
}

/** Exits on SIGTERM (as pid 1 a plain `sleep` would ignore it and cost the whole grace period). */
const DEFAULT_PAUSE_COMMAND = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait; done'];

export interface CreatePodmanRuntimeOptions {
  readonly nodeName: string;
  readonly config: PodmanConfig;
  /** Where the agent may keep its runtime files (the containers.conf); defaults to a temp dir. */
  readonly stateDir?: string;
  readonly pauseImage?: string;
  readonly pullTimeoutMs?: number;
  /** Read the kernel log for OOM kills (default true; needs root). */
  readonly kernelOomLog?: boolean;
  /**
   * Talk to a podman API service of our own instead of spawning the CLI per call (default true,
   * or KEDGE_PODMAN_API=0 to turn it off; never for docker). The CLI is used when it cannot start.
   */
  readonly api?: boolean;
}

/** A unix socket path must fit in sockaddr_un (108 bytes); a deep data dir gets a temp one. */
const MAX_SOCKET_PATH = 100;
let serviceSeq = 0;

/**
 * The runtime for this machine: writes the containers.conf that carries the ulimits to pod infra
 * containers (podman) when the config names none, and opens the kernel OOM log.
 */
export async function createPodmanRuntime(options: CreatePodmanRuntimeOptions): Promise<PodmanRuntime> {
  let config = options.config;
  if (!isDocker(config) && config.containersConf === undefined && config.ulimits.length > 0) {
    const dir = options.stateDir ?? join(tmpdir(), 'kedge-runtime');
    const containersConf = await writeContainersConf(join(dir, 'containers.conf'), config.ulimits);
    config = { ...config, containersConf };
  }
  const cli = podmanCli(config);
  const wantApi = (options.api ?? process.env.KEDGE_PODMAN_API !== '0') && !isDocker(config);
  let service: PodmanService | undefined;
  let serviceUnavailable = wantApi
    ? undefined
    : 'the podman API is turned off (KEDGE_PODMAN_API=0 or api: false)';
  if (wantApi) {
    // One socket per runtime: two runtimes on one state dir (tests, a restarted kubelet) must not
    // take each other's socket away.
    const name = `podman.${process.pid}.${serviceSeq++}.sock`;
    let dir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'kedge-podman-')));
    if (join(dir, name).length > MAX_SOCKET_PATH) dir = await mkdtemp(join(tmpdir(), 'kedge-podman-'));
    const started = await startPodmanService({ cli, socketPath: join(dir, name) });
    if ('service' in started) service = started.service;
    else serviceUnavailable = started.unavailable;
  }
  return new PodmanRuntime({
    nodeName: options.nodeName,
    cli,
    pauseImage: options.pauseImage,
    pullTimeoutMs: options.pullTimeoutMs,
    oomLog: options.kernelOomLog === false ? undefined : kernelOomLog(),
    service,
    serviceUnavailable,
  });
}

/** ContainerRuntime over the podman CLI (pods), or the docker CLI (pause container + joined namespaces). */
export class PodmanRuntime implements ContainerRuntime {
  readonly cli: PodmanCli;
  readonly nodeName: string;
  readonly kind: SandboxKind;
  readonly #oomLog: KernelOomLog | undefined;
  readonly #pullTimeoutMs: number;
  /** The previous stats sample per container, so CPU use is a rate over a real interval. */
  readonly #stats = new StatsRates();
  readonly #service: PodmanService | undefined;
  readonly #api: PodmanApi | undefined;
  readonly #serviceUnavailable: string | undefined;
  readonly #driver: PodmanDriver;
  readonly #containers: ContainerInspection;
  readonly #sandboxes: PodSandboxes;

  constructor(options: PodmanRuntimeOptions) {
    this.cli = options.cli;
    this.nodeName = options.nodeName;
    this.kind = isDocker(options.cli.config) ? 'pause-container' : 'pod';
    this.#oomLog = options.oomLog;
    this.#pullTimeoutMs = options.pullTimeoutMs ?? 120_000;
    this.#service = options.service;
    this.#api = options.service && new PodmanApi(options.service.client);
    this.#serviceUnavailable = options.serviceUnavailable;
    this.#driver = {
      cli: this.cli,
      nodeName: this.nodeName,
      kind: this.kind,
      liveApi: () => this.#liveApi(),
      podApi: () => (this.kind === 'pod' ? this.#liveApi() : undefined),
      serviceExitReason: () => this.#service?.exitReason,
    };
    this.#containers = new ContainerInspection(this.#driver, this.#oomLog);
    this.#sandboxes = new PodSandboxes(this.#driver, this.#containers, {
      image: options.pauseImage ?? BASE_IMAGE,
      command: options.pauseCommand ?? DEFAULT_PAUSE_COMMAND,
    });
  }

  /** Which door to podman is in use: its REST API (our own service) or a CLI process per call. */
  get mode(): 'api' | 'cli' {
    return this.#liveApi() ? 'api' : 'cli';
  }

  /** The API service's process id while it runs (for its share of CPU and memory). */
  get servicePid(): number | undefined {
    return this.#liveApi() ? this.#service?.pid : undefined;
  }

  /** The mode in words, with the reason when it is the CLI. */
  get modeDescription(): string {
    if (this.#liveApi()) {
      return `podman API on ${this.#service?.client.socketPath} (service pid ${this.#service?.pid})`;
    }
    return `${this.cli.config.binary} CLI per call (${this.#service?.exitReason ?? this.#serviceUnavailable ?? 'docker has no libpod API'})`;
  }

  /** Releases the kernel log descriptor and ends the API service (containers keep running). */
  close(): void {
    this.#oomLog?.close();
    this.#service?.stop();
  }

  /** The API while its service runs; once it has exited, every call goes to the CLI. */
  #liveApi(): PodmanApi | undefined {
    return this.#service?.exitReason === undefined ? this.#api : undefined;
  }

  async version() {
    const { stdout } = await this.cli.run(['version', '--format', '{{.Client.Version}}']);
    return { name: this.kind === 'pod' ? 'podman' : 'docker', version: stdout.trim() };
  }

  // ---- sandboxes (pod-sandboxes.ts) ----

  createPodSandbox(config: PodSandboxConfig): Promise<string> {
    return this.#sandboxes.create(config);
  }

  stopPodSandbox(id: string, gracePeriodSeconds = 10): Promise<void> {
    return this.#sandboxes.stop(id, gracePeriodSeconds);
  }

  removePodSandbox(id: string): Promise<void> {
    return this.#sandboxes.remove(id);
  }

  listPodSandboxes(filter?: LabelFilter): Promise<PodSandboxStatus[]> {
    return this.#sandboxes.list(filter);
  }

  inspectPodSandbox(id: string): Promise<PodSandboxStatus> {
    return this.#sandboxes.inspect(id);
  }

  // ---- containers (container-lifecycle.ts, container-inspection.ts, container-events.ts) ----

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    return createContainer(this.#driver, await this.#sandboxes.identity(sandboxId), config);
  }

  startContainer(id: string): Promise<void> {
    return startContainer(this.#driver, id);
  }

  stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    return stopContainer(this.#driver, id, gracePeriodSeconds);
  }

  removeContainer(id: string): Promise<void> {
    return removeContainer(this.#driver, this.#containers, id);
  }

  inspectContainer(id: string): Promise<ContainerStatus> {
    return this.#containers.inspect(id);
  }

  listContainers(filter?: LabelFilter): Promise<ContainerStatus[]> {
    return this.#containers.list(filter);
  }

  /** Container events for the kubelet: the API's stream, else a `podman events` process. */
  containerEvents(filter: LabelFilter, signal: AbortSignal): AsyncGenerator<ContainerEvent> {
    return podmanContainerEvents(this.#driver, filter, signal);
  }

  // ---- images (podman-images.ts) ----

  imageExists(ref: string): Promise<boolean> {
    return imageExists(this.#driver, ref);
  }

  pullImage(ref: string): Promise<void> {
    return pullImage(this.#driver, ref, this.#pullTimeoutMs);
  }

  listImages(): Promise<ImageInfo[]> {
    return listImages(this.#driver);
  }

  // ---- stats, logs, exec (container-diagnostics.ts) ----

  containerStats(ids: readonly string[]): Promise<ContainerStats[]> {
    return containerStats(this.#driver, this.#stats, ids);
  }

  containerLogs(id: string, options: LogOptions = {}): AsyncGenerator<string> {
    return containerLogs(this.#driver, this.#containers, id, options);
  }

  exec(id: string, command: readonly string[], options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return execInContainer(this.#driver, id, command, options);
  }
}

export { cpuNanoCores } from './stats-rates.ts';
