import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_IMAGE } from '../image/base-image.ts';
import { writeContainersConf } from './containers-conf.ts';
import {
  containerRuntimeName,
  LABEL,
  labelFilterFlags,
  MANAGER,
  matchesLabels,
  sandboxRuntimeName,
} from './labels.ts';
import { streamLogs } from './log-stream.ts';
import { type KernelOomLog, kernelOomLog } from './oom-kernel-log.ts';
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
  parseStatsRecord,
  type StatsSample,
} from './podman-json.ts';
import type {
  ContainerRuntime,
  ContainerStats,
  ContainerStatus,
  LabelFilter,
  LogOptions,
  PodSandboxStatus,
} from './runtime.ts';

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
}

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
  return new PodmanRuntime({
    nodeName: options.nodeName,
    cli: podmanCli(config),
    pauseImage: options.pauseImage,
    pullTimeoutMs: options.pullTimeoutMs,
    oomLog: options.kernelOomLog === false ? undefined : kernelOomLog(),
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
  readonly #lastSample = new Map<string, StatsSample>();
  /**
   * Who each sandbox we created belongs to, so createContainer need not inspect it (two CLI calls).
   * Only a cache: after a restart it is empty and the labels are read back instead.
   */
  readonly #sandboxes = new Map<string, SandboxIdentity>();

  constructor(options: PodmanRuntimeOptions) {
    this.cli = options.cli;
    this.nodeName = options.nodeName;
    this.kind = isDocker(options.cli.config) ? 'pause-container' : 'pod';
    this.#pauseImage = options.pauseImage ?? BASE_IMAGE;
    this.#pauseCommand = options.pauseCommand ?? DEFAULT_PAUSE_COMMAND;
    this.#oomLog = options.oomLog;
    this.#pullTimeoutMs = options.pullTimeoutMs ?? 120_000;
  }

  /** Releases the kernel log descriptor. */
  close(): void {
    this.#oomLog?.close();
  }

  async version() {
    const { stdout } = await this.cli.run(['version', '--format', '{{.Client.Version}}']);
    return { name: this.kind === 'pod' ? 'podman' : 'docker', version: stdout.trim() };
  }

  // ---- sandboxes ----

  async createPodSandbox(config: Parameters<ContainerRuntime['createPodSandbox']>[0]): Promise<string> {
    const name = sandboxRuntimeName(config);
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
    if (this.kind === 'pod') {
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
    const [pod] = parseJsonRecords((await this.cli.run(['pod', 'inspect', id])).stdout);
    if (!pod) throw notFound(`pod sandbox ${id}`);
    const infraId = typeof pod.InfraContainerID === 'string' ? pod.InfraContainerID : undefined;
    const [infra] = infraId
      ? parseJsonRecords((await this.cli.run(['inspect', '--type', 'container', infraId])).stdout)
      : [];
    return parsePodInspect(pod, infra);
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: Parameters<ContainerRuntime['createContainer']>[1]) {
    const sandbox = this.#sandboxes.get(sandboxId) ?? (await this.inspectPodSandbox(sandboxId));
    const name = containerRuntimeName(sandbox, config.name, config.attempt ?? 0);
    const args = containerCreateArgs(name, sandbox, config, {
      nodeName: this.nodeName,
      kind: this.kind,
      containerFlags: this.cli.containerFlags(),
    });
    try {
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
    await this.cli.run(['start', id]);
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const t = String(Math.max(0, Math.ceil(gracePeriodSeconds)));
    await this.cli.run(['stop', '--time', t, id], { timeoutMs: this.#graceTimeout(gracePeriodSeconds) });
  }

  async removeContainer(id: string): Promise<void> {
    await ignoreNotFound(() => this.cli.run(['rm', '--force', '--time', '0', id]));
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    const [status] = await this.#inspectContainers([id]);
    if (!status) throw notFound(`container ${id}`);
    return status;
  }

  async listContainers(filter?: LabelFilter): Promise<ContainerStatus[]> {
    const ownFilter = { ...filter, [LABEL.managedBy]: MANAGER, [LABEL.role]: 'container' };
    const ids = await this.#containerIds(ownFilter);
    if (ids.length === 0) return [];
    const statuses = await this.#inspectContainers(ids).catch(async (err: unknown) => {
      // One of them vanished meanwhile: inspect one by one and keep the ones still there.
      if (!(err instanceof RuntimeError && err.kind === 'NotFound')) throw err;
      const each = await Promise.all(ids.map((id) => this.#inspectContainers([id]).catch(() => [])));
      return each.flat();
    });
    return statuses.filter((s) => matchesLabels(s.labels, ownFilter));
  }

  // ---- images ----

  async imageExists(ref: string): Promise<boolean> {
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
    const now = new Date();
    const out: ContainerStats[] = [];
    for (const record of parseJsonRecords(stdout)) {
      const sample = parseStatsRecord(record);
      if (!sample) continue;
      const fullId = ids.find((id) => sample.id.startsWith(id) || id.startsWith(sample.id)) ?? sample.id;
      const previous = this.#lastSample.get(fullId);
      this.#lastSample.set(fullId, sample);
      const nanoCores = cpuNanoCores(previous, sample);
      out.push({
        id: fullId,
        cpuNanoCores: nanoCores,
        cpuPercent: nanoCores / 1e7,
        cpuUsageCoreNanoSeconds: sample.cpuTotalNanos ?? 0,
        memoryWorkingSetBytes: sample.memoryBytes,
        memoryLimitBytes: sample.memoryLimitBytes,
        pids: sample.pids,
        timestamp: now,
      });
    }
    return out;
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
    const { stdout } = await this.cli.run(['inspect', '--type', 'container', ...ids]);
    return parseJsonRecords(stdout).map((obj) => {
      const status = parseContainerInspect(obj);
      if (status.state !== 'exited' || status.oomKilled || !this.#oomLog) return status;
      return this.#oomLog.wasOomKilled(status.id) ? parseContainerInspect(obj, true) : status;
    });
  }

  /** The CLI call must outlive the grace period it waits out. */
  #graceTimeout(gracePeriodSeconds: number): number {
    return Math.max(this.cli.config.timeoutMs, (gracePeriodSeconds + 30) * 1000);
  }
}

/**
 * CPU use as a rate between two samples of cumulative CPU time; without an earlier sample, the
 * runtime's own percentage (podman's is the average since the container started).
 */
export function cpuNanoCores(previous: StatsSample | undefined, current: StatsSample): number {
  if (
    previous?.cpuTotalNanos !== undefined &&
    previous.sampledAtNanos !== undefined &&
    current.cpuTotalNanos !== undefined &&
    current.sampledAtNanos !== undefined &&
    current.sampledAtNanos > previous.sampledAtNanos &&
    current.cpuTotalNanos >= previous.cpuTotalNanos
  ) {
    return Math.round(
      ((current.cpuTotalNanos - previous.cpuTotalNanos) /
        (current.sampledAtNanos - previous.sampledAtNanos)) *
        1e9,
    );
  }
  return Math.round(current.cpuPercent * 1e7);
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
