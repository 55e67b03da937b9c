import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_IMAGE } from '../image/base-image.ts';
import { cliContainerEvents, parseContainerEvent } from './container-events.ts';
import { InspectCache } from './container-listing.ts';
import { writeContainersConf } from './containers-conf.ts';
import {
  containerRuntimeName,
  LABEL,
  labelFilterFlags,
  MANAGER,
  matchesLabels,
  sandboxRuntimeName,
} from './labels.ts';
import { containerCreateSpec, podCreateSpec } from './libpod-specs.ts';
import { streamLogs } from './log-stream.ts';
import { type KernelOomLog, kernelOomLog } from './oom-kernel-log.ts';
import { PodmanApi } from './podman-api.ts';
import {
  containerCreateArgs,
  type SandboxIdentity,
  type SandboxKind,
  sandboxCreateArgs,
} from './podman-args.ts';
import { isDocker, type PodmanCli, type PodmanConfig, podmanCli, RuntimeError } from './podman-cli.ts';
import {
  parseContainerInspect,
  parseImages,
  parseJsonRecords,
  parsePauseContainerInspect,
  parsePodInspect,
} from './podman-json.ts';
import { type PodmanService, startPodmanService } from './podman-service.ts';
import type {
  ContainerEvent,
  ContainerRuntime,
  ContainerStats,
  ContainerStatus,
  LabelFilter,
  LogOptions,
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
  readonly #pauseImage: string;
  readonly #pauseCommand: readonly string[];
  readonly #oomLog: KernelOomLog | undefined;
  readonly #pullTimeoutMs: number;
  /** The previous stats sample per container, so CPU use is a rate over a real interval. */
  readonly #stats = new StatsRates();
  /**
   * Who each sandbox we created belongs to, so createContainer need not inspect it (two CLI calls).
   * Only a cache: after a restart it is empty and the labels are read back instead.
   */
  readonly #sandboxes = new Map<string, SandboxIdentity>();
  readonly #service: PodmanService | undefined;
  readonly #api: PodmanApi | undefined;
  readonly #serviceUnavailable: string | undefined;
  /** Inspect records of listed containers, so a listing inspects only what changed. */
  readonly #listing = new InspectCache();

  constructor(options: PodmanRuntimeOptions) {
    this.cli = options.cli;
    this.nodeName = options.nodeName;
    this.kind = isDocker(options.cli.config) ? 'pause-container' : 'pod';
    this.#pauseImage = options.pauseImage ?? BASE_IMAGE;
    this.#pauseCommand = options.pauseCommand ?? DEFAULT_PAUSE_COMMAND;
    this.#oomLog = options.oomLog;
    this.#pullTimeoutMs = options.pullTimeoutMs ?? 120_000;
    this.#service = options.service;
    this.#api = options.service && new PodmanApi(options.service.client);
    this.#serviceUnavailable = options.serviceUnavailable;
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

  // ---- sandboxes ----

  async createPodSandbox(config: Parameters<ContainerRuntime['createPodSandbox']>[0]): Promise<string> {
    const name = sandboxRuntimeName(config);
    const api = this.kind === 'pod' ? this.#liveApi() : undefined;
    if (api) {
      const id = await api.createPod(podCreateSpec(name, config, this.nodeName));
      this.#sandboxes.set(id, { id, uid: config.uid, name: config.name, namespace: config.namespace });
      try {
        await api.startPod(id);
      } catch (err) {
        await this.removePodSandbox(id);
        throw err;
      }
      return id;
    }
    const args = sandboxCreateArgs(name, config, {
      nodeName: this.nodeName,
      kind: this.kind,
      pauseImage: this.#pauseImage,
      pauseCommand: this.#pauseCommand,
      containerFlags: this.cli.containerFlags(),
    });
    const { stdout } = await this.cli.run(args);
    const id = lastLine(stdout);
    this.#sandboxes.set(id, { id, uid: config.uid, name: config.name, namespace: config.namespace });
    // A podman pod is created stopped; start its infra container now so the IP and the published
    // ports exist before any container runs (the CRI's RunPodSandbox).
    if (this.kind === 'pod') {
      try {
        await this.cli.run(['pod', 'start', id]);
      } catch (err) {
        await this.removePodSandbox(id);
        throw err;
      }
    }
    return id;
  }

  async stopPodSandbox(id: string, gracePeriodSeconds = 10): Promise<void> {
    const t = String(Math.max(0, Math.ceil(gracePeriodSeconds)));
    const api = this.kind === 'pod' ? this.#liveApi() : undefined;
    if (api) {
      await ignoreNotFound(() => api.stopPod(id, Number(t), this.#graceTimeout(gracePeriodSeconds)));
      return;
    }
    await ignoreNotFound(async () => {
      if (this.kind === 'pod') {
        await this.cli.run(['pod', 'stop', '--time', t, id], {
          timeoutMs: this.#graceTimeout(gracePeriodSeconds),
        });
        return;
      }
      const members = await this.#containerIds({ [LABEL.sandboxId]: id });
      if (members.length > 0) {
        await this.cli.run(['stop', '--time', t, ...members], {
          timeoutMs: this.#graceTimeout(gracePeriodSeconds),
        });
      }
      await this.cli.run(['stop', '--time', t, id], { timeoutMs: this.#graceTimeout(gracePeriodSeconds) });
    });
  }

  async removePodSandbox(id: string): Promise<void> {
    this.#sandboxes.delete(id);
    this.#listing.forgetSandbox(id, LABEL.sandboxId);
    const api = this.kind === 'pod' ? this.#liveApi() : undefined;
    if (api) {
      await ignoreNotFound(() => api.removePod(id));
      return;
    }
    await ignoreNotFound(async () => {
      if (this.kind === 'pod') {
        await this.cli.run(['pod', 'rm', '--force', '--time', '0', id]);
        return;
      }
      const members = await this.#containerIds({ [LABEL.sandboxId]: id });
      if (members.length > 0) await this.cli.run(['rm', '--force', '--time', '0', ...members]);
      await this.cli.run(['rm', '--force', '--time', '0', id]);
    });
  }

  async listPodSandboxes(filter?: LabelFilter): Promise<PodSandboxStatus[]> {
    const ownFilter = { ...filter, [LABEL.managedBy]: MANAGER, [LABEL.role]: 'sandbox' };
    let ids: string[];
    const api = this.kind === 'pod' ? this.#liveApi() : undefined;
    if (api) {
      ids = (await api.listPods(ownFilter)).map((pod) => String(pod.Id ?? '')).filter((id) => id !== '');
    } else if (this.kind === 'pod') {
      const { stdout } = await this.cli.run([
        'pod',
        'ps',
        '--no-trunc',
        '--format',
        'json',
        ...labelFilterFlags(ownFilter),
      ]);
      ids = parseJsonRecords(stdout)
        .map((pod) => String(pod.Id ?? ''))
        .filter((id) => id !== '');
    } else {
      ids = await this.#containerIds(ownFilter);
    }
    const statuses: PodSandboxStatus[] = [];
    for (const id of ids) {
      // A sandbox removed between the list and its inspect is simply not there any more.
      const status = await this.inspectPodSandbox(id).catch((err: unknown) => {
        if (err instanceof RuntimeError && err.kind === 'NotFound') return undefined;
        throw err;
      });
      if (status && matchesLabels(status.labels, ownFilter)) statuses.push(status);
    }
    return statuses;
  }

  async inspectPodSandbox(id: string): Promise<PodSandboxStatus> {
    if (this.kind === 'pause-container') {
      const [obj] = parseJsonRecords((await this.cli.run(['inspect', '--type', 'container', id])).stdout);
      if (!obj) throw notFound(`sandbox ${id}`);
      return parsePauseContainerInspect(obj);
    }
    const api = this.#liveApi();
    const [pod] = api
      ? [await api.inspectPod(id)]
      : parseJsonRecords((await this.cli.run(['pod', 'inspect', id])).stdout);
    if (!pod) throw notFound(`pod sandbox ${id}`);
    const infraId = typeof pod.InfraContainerID === 'string' ? pod.InfraContainerID : undefined;
    const [infra] = infraId ? await this.#inspectRaw([infraId]) : [];
    return parsePodInspect(pod, infra);
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: Parameters<ContainerRuntime['createContainer']>[1]) {
    const sandbox = this.#sandboxes.get(sandboxId) ?? (await this.inspectPodSandbox(sandboxId));
    const name = containerRuntimeName(sandbox, config.name, config.attempt ?? 0);
    const api = this.kind === 'pod' ? this.#liveApi() : undefined;
    try {
      if (api) {
        const spec = containerCreateSpec(name, sandbox, config, {
          nodeName: this.nodeName,
          ulimits: this.cli.config.ulimits,
        });
        return await api.createContainer(spec);
      }
      const args = containerCreateArgs(name, sandbox, config, {
        nodeName: this.nodeName,
        kind: this.kind,
        containerFlags: this.cli.containerFlags(),
      });
      return lastLine((await this.cli.run(args)).stdout);
    } catch (err) {
      if (err instanceof RuntimeError && err.kind === 'ImageNotFound') {
        throw new RuntimeError(
          'ImageNotFound',
          `image ${config.image} is not on this node: build or load it (kedge image build-base, podman load) or let the kubelet pull it (imagePullPolicy); ${this.cli.config.binary} said: ${err.stderr.trim()}`,
          err.command,
          err.exitCode,
          err.stderr,
        );
      }
      throw err;
    }
  }

  async startContainer(id: string): Promise<void> {
    const api = this.#liveApi();
    if (api) await api.startContainer(id);
    else await this.cli.run(['start', id]);
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const seconds = Math.max(0, Math.ceil(gracePeriodSeconds));
    const timeoutMs = this.#graceTimeout(gracePeriodSeconds);
    const api = this.#liveApi();
    if (api) await api.stopContainer(id, seconds, timeoutMs);
    else await this.cli.run(['stop', '--time', String(seconds), id], { timeoutMs });
  }

  async removeContainer(id: string): Promise<void> {
    this.#listing.forget(id);
    const api = this.#liveApi();
    await ignoreNotFound(() =>
      api ? api.removeContainer(id) : this.cli.run(['rm', '--force', '--time', '0', id]),
    );
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    const [status] = await this.#inspectContainers([id]);
    if (!status) throw notFound(`container ${id}`);
    return status;
  }

  async listContainers(filter?: LabelFilter): Promise<ContainerStatus[]> {
    const ownFilter = { ...filter, [LABEL.managedBy]: MANAGER, [LABEL.role]: 'container' };
    // One listing call; only containers whose state moved since the last listing are inspected.
    const api = this.#liveApi();
    const summaries = api
      ? await api.listContainers(ownFilter)
      : parseJsonRecords(
          (
            await this.cli.run([
              'ps',
              '--all',
              '--no-trunc',
              '--format',
              'json',
              ...labelFilterFlags(ownFilter),
            ])
          ).stdout,
        );
    if (summaries.length === 0) return [];
    const inspected = await this.#listing.resolve(summaries, (ids) => this.#inspectTolerant(ids));
    return inspected.map((obj) => this.#status(obj)).filter((s) => matchesLabels(s.labels, ownFilter));
  }

  /** Container events for the kubelet: the API's stream, else a `podman events` process. */
  async *containerEvents(filter: LabelFilter, signal: AbortSignal): AsyncGenerator<ContainerEvent> {
    if (this.kind !== 'pod')
      throw new RuntimeError('Failed', 'docker events are not supported; listing instead', 'events');
    const ownFilter = { ...filter, [LABEL.managedBy]: MANAGER };
    const api = this.#liveApi();
    if (!api) {
      yield* cliContainerEvents(this.cli, ownFilter, signal);
      return;
    }
    for await (const record of api.containerEvents(ownFilter, signal)) {
      const event = parseContainerEvent(record);
      if (event) yield event;
    }
    if (!signal.aborted) {
      throw new RuntimeError(
        'Failed',
        `the podman API service closed its event stream (${this.#service?.exitReason ?? 'still running'})`,
        'GET /events',
      );
    }
  }

  // ---- images ----

  async imageExists(ref: string): Promise<boolean> {
    const api = this.kind === 'pod' ? this.#liveApi() : undefined;
    if (api) return api.imageExists(ref);
    if (this.kind === 'pod') {
      const outcome = await this.cli.outcome(['image', 'exists', ref]);
      if (outcome.exitCode === 0) return true;
      if (outcome.exitCode === 1) return false;
      throw new RuntimeError(
        'Failed',
        `podman image exists ${ref} failed: ${outcome.stderr.trim()}`,
        'podman image exists',
      );
    }
    const outcome = await this.cli.outcome(['image', 'inspect', ref]);
    return outcome.exitCode === 0;
  }

  async pullImage(ref: string): Promise<void> {
    try {
      await this.cli.run(['pull', ref], { timeoutMs: this.#pullTimeoutMs });
    } catch (err) {
      if (!(err instanceof RuntimeError) || err.kind === 'NotInstalled') throw err;
      const unreachable =
        /pinging container registry|dial tcp|no such host|connection refused|i\/o timeout/i.test(err.stderr);
      const why =
        err.kind === 'Timeout'
          ? `no answer from the registry within ${this.#pullTimeoutMs} ms`
          : unreachable
            ? 'the registry is unreachable from this node'
            : (err.stderr.trim().split('\n').pop() ?? err.message);
      throw new RuntimeError(
        err.kind === 'Timeout' ? 'Timeout' : 'ImageNotFound',
        `cannot pull ${ref}: ${why}. Load the image on this node (podman load / podman import, or kedge image build-base for the busybox image) and use imagePullPolicy: IfNotPresent or Never`,
        err.command,
        err.exitCode,
        err.stderr,
      );
    }
  }

  async listImages() {
    const format = this.kind === 'pod' ? ['--format', 'json'] : ['--no-trunc', '--format', '{{json .}}'];
    return parseImages((await this.cli.run(['images', ...format])).stdout);
  }

  // ---- stats, logs, exec ----

  async containerStats(ids: readonly string[]): Promise<ContainerStats[]> {
    if (ids.length === 0) return [];
    // The JSON format prints rounded human text ("2.1MB"); this template gives podman's numbers.
    const format = this.kind === 'pod' ? '{{json .ContainerStats}}' : '{{json .}}';
    const args = [
      'stats',
      '--no-stream',
      ...(this.kind === 'pod' ? [] : ['--no-trunc']),
      '--format',
      format,
      ...ids,
    ];
    const { stdout } = await this.cli.run(args);
    return this.#stats.rates(parseJsonRecords(stdout), ids, new Date());
  }

  async *containerLogs(id: string, options: LogOptions = {}): AsyncGenerator<string> {
    let target = id;
    if (options.previous) {
      const current = await this.inspectContainer(id);
      const earlier = (
        await this.listContainers({
          [LABEL.podUid]: current.labels[LABEL.podUid] ?? '',
          [LABEL.containerName]: current.name,
        })
      )
        .filter((c) => c.attempt < current.attempt)
        .sort((a, b) => b.attempt - a.attempt)[0];
      if (!earlier)
        throw notFound(`a previous run of container ${current.name} (attempt ${current.attempt})`);
      target = earlier.id;
    }
    yield* streamLogs(this.cli, target, options);
  }

  async exec(id: string, command: readonly string[], options: { timeoutMs?: number } = {}) {
    const outcome = await this.cli.outcome(['exec', id, ...command], { timeoutMs: options.timeoutMs });
    // 125: the CLI itself failed (no such container, not running); 126/127 are the command's own.
    if (outcome.exitCode === 125 && !outcome.timedOut) {
      const stderr = outcome.stderr.trim();
      throw new RuntimeError(
        /no such container|no container with/i.test(stderr) ? 'NotFound' : 'Failed',
        `exec in ${id} failed: ${stderr || 'exit 125'}`,
        `${this.cli.config.binary} exec`,
        125,
        outcome.stderr,
      );
    }
    return {
      exitCode: outcome.timedOut ? -1 : outcome.exitCode,
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      timedOut: outcome.timedOut,
    };
  }

  // ---- internals ----

  async #containerIds(filter: LabelFilter): Promise<string[]> {
    const { stdout } = await this.cli.run([
      'ps',
      '--all',
      '--quiet',
      '--no-trunc',
      ...labelFilterFlags(filter),
    ]);
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  }

  async #inspectContainers(ids: readonly string[]): Promise<ContainerStatus[]> {
    return (await this.#inspectRaw(ids)).map((obj) => this.#status(obj));
  }

  /** Inspect records: one API call per container (in parallel), or one CLI call for all. */
  async #inspectRaw(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    const api = this.#liveApi();
    if (api) return Promise.all(ids.map((id) => api.inspectContainer(id)));
    const { stdout } = await this.cli.run(['inspect', '--type', 'container', ...ids]);
    return parseJsonRecords(stdout);
  }

  /** Like #inspectRaw, leaving out containers removed since they were listed. */
  async #inspectTolerant(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    return this.#inspectRaw(ids).catch(async (err: unknown) => {
      if (!(err instanceof RuntimeError && err.kind === 'NotFound')) throw err;
      const each = await Promise.all(
        ids.map((id) =>
          this.#inspectRaw([id]).catch((one: unknown) => {
            if (one instanceof RuntimeError && one.kind === 'NotFound') return [];
            throw one;
          }),
        ),
      );
      return each.flat();
    });
  }

  /** A container's status from its inspect; an exit the runtime did not call OOM is checked in the kernel log. */
  #status(obj: Record<string, unknown>): ContainerStatus {
    const status = parseContainerInspect(obj);
    if (status.state !== 'exited' || status.oomKilled || !this.#oomLog) return status;
    return this.#oomLog.wasOomKilled(status.id) ? parseContainerInspect(obj, true) : status;
  }

  /** The CLI call must outlive the grace period it waits out. */
  #graceTimeout(gracePeriodSeconds: number): number {
    return Math.max(this.cli.config.timeoutMs, (gracePeriodSeconds + 30) * 1000);
  }
}

function lastLine(stdout: string): string {
  const lines = stdout.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

function notFound(what: string): RuntimeError {
  return new RuntimeError(
    'NotFound',
    `${what} does not exist on this node (removed, or never created)`,
    'inspect',
  );
}

async function ignoreNotFound(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof RuntimeError && err.kind === 'NotFound') return;
    throw err;
  }
}

export { cpuNanoCores } from './stats-rates.ts';
