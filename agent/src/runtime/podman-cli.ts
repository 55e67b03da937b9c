import { execa } from 'execa';

/** How the agent invokes podman on this machine. Every field is configuration, not a constant. */
export interface PodmanConfig {
  /** The CLI to call: `podman`, or `docker` where that is what the box has. */
  readonly binary: string;
  /** OCI runtime. crun fails on hybrid cgroups ("cgroups in hybrid mode not supported"); runc works. */
  readonly runtime: string | undefined;
  /** cgroup manager: `cgroupfs` where systemd is not the init (VMs, containers, minimal edge images). */
  readonly cgroupManager: string | undefined;
  /** Explicit ulimits for every container; runc cannot inherit the host's here ("error setting rlimits"). */
  readonly ulimits: readonly string[];
  /** Per-call timeout in milliseconds. */
  readonly timeoutMs: number;
  /**
   * A containers.conf for podman to read instead of the system's (exported as CONTAINERS_CONF).
   * `podman pod create` has no --ulimit, so the pod's infra container gets its ulimits only from
   * here; see containers-conf.ts, which writes one from `ulimits`.
   */
  readonly containersConf?: string | undefined;
}

export const defaultPodmanConfig: PodmanConfig = {
  binary: process.env.KEDGE_PODMAN ?? 'podman',
  runtime: process.env.KEDGE_OCI_RUNTIME ?? 'runc',
  cgroupManager: process.env.KEDGE_CGROUP_MANAGER ?? 'cgroupfs',
  ulimits: ['nofile=1024:1024', 'nproc=1024:1024'],
  timeoutMs: 60_000,
  containersConf: process.env.KEDGE_CONTAINERS_CONF,
};

export type RuntimeErrorKind = 'NotInstalled' | 'NotFound' | 'ImageNotFound' | 'Failed' | 'Timeout';

/** A failed runtime call, with the command and podman's own words. */
export class RuntimeError extends Error {
  readonly kind: RuntimeErrorKind;
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly stderr: string;

  constructor(kind: RuntimeErrorKind, message: string, command: string, exitCode?: number, stderr = '') {
    super(message);
    this.name = 'RuntimeError';
    this.kind = kind;
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface PodmanResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** The outcome of a call whose non-zero exit is an answer, not a failure (exec, `image exists`). */
export interface PodmanOutcome extends PodmanResult {
  readonly exitCode: number;
  readonly timedOut: boolean;
}

export interface PodmanRunOptions {
  input?: string;
  signal?: AbortSignal;
  /** Overrides the config's per-call timeout. */
  timeoutMs?: number;
}

export interface PodmanCli {
  readonly config: PodmanConfig;
  /** Runs `podman <global flags> <args>` and returns its output; throws RuntimeError on failure. */
  run(args: readonly string[], options?: PodmanRunOptions): Promise<PodmanResult>;
  /**
   * Runs a command and returns its exit code whatever it is; throws only when the binary is
   * missing or the signal aborts it. A timeout is reported as `timedOut`.
   */
  outcome(args: readonly string[], options?: PodmanRunOptions): Promise<PodmanOutcome>;
  /** Flags that `run` and `create` need on this machine (the ulimits). */
  containerFlags(): string[];
  /** Global flags and environment for callers that spawn the binary themselves (log streams). */
  invocation(args: readonly string[]): { file: string; argv: string[]; env: Record<string, string> };
}

/** Global flags go before the subcommand; they select the runtime and cgroup manager. */
export function globalFlags(config: PodmanConfig): string[] {
  const flags: string[] = [];
  // docker has neither flag; the same config works for both CLIs.
  if (isDocker(config)) return flags;
  if (config.runtime) flags.push('--runtime', config.runtime);
  if (config.cgroupManager) flags.push(`--cgroup-manager=${config.cgroupManager}`);
  return flags;
}

/** True when the configured CLI is docker rather than podman (no pods, no global runtime flags). */
export function isDocker(config: PodmanConfig): boolean {
  return /(^|\/)docker$/.test(config.binary);
}

function environment(config: PodmanConfig): Record<string, string> {
  return config.containersConf ? { CONTAINERS_CONF: config.containersConf } : {};
}

/** podman and docker word a missing image in several ways; all mean "build, load or pull it". */
const IMAGE_MISSING =
  /image not known|no such image|unable to find image|manifest unknown|repository .* not found|pull access denied|pinging container registry|initializing source docker:/i;
const OBJECT_MISSING = /no such (container|pod|object|volume)|not found|does not exist|no container with/i;

export function classifyFailure(stderr: string): RuntimeErrorKind {
  if (IMAGE_MISSING.test(stderr)) return 'ImageNotFound';
  if (OBJECT_MISSING.test(stderr)) return 'NotFound';
  return 'Failed';
}

function notInstalled(config: PodmanConfig, command: string): RuntimeError {
  return new RuntimeError(
    'NotInstalled',
    `${config.binary} is not installed: install it (Debian: apt-get install -y podman runc) or set KEDGE_PODMAN`,
    command,
  );
}

export function podmanCli(config: PodmanConfig = defaultPodmanConfig): PodmanCli {
  const base = globalFlags(config);
  const env = environment(config);

  async function execute(args: readonly string[], options: PodmanRunOptions) {
    const argv = [...base, ...args];
    const command = [config.binary, ...argv].join(' ');
    const timeout = options.timeoutMs ?? config.timeoutMs;
    const result = await execa(config.binary, argv, {
      reject: false,
      timeout,
      input: options.input,
      cancelSignal: options.signal,
      stripFinalNewline: true,
      env,
    });
    const err = result as typeof result & { code?: string };
    if (result.failed && err.code === 'ENOENT') throw notInstalled(config, command);
    if (result.isCanceled) {
      throw new RuntimeError('Failed', `${command} was cancelled by its caller`, command);
    }
    return { result, command, timeout };
  }

  return {
    config,
    containerFlags: () => config.ulimits.flatMap((u) => ['--ulimit', u]),
    invocation: (args) => ({ file: config.binary, argv: [...base, ...args], env }),
    async run(args, options = {}) {
      const { result, command, timeout } = await execute(args, options);
      if (result.failed) {
        if (result.timedOut) {
          throw new RuntimeError('Timeout', `${command} timed out after ${timeout} ms`, command);
        }
        const stderr = String(result.stderr ?? '');
        throw new RuntimeError(
          classifyFailure(stderr),
          `${command} failed (exit ${result.exitCode}): ${stderr.trim() || 'no output'}`,
          command,
          result.exitCode,
          stderr,
        );
      }
      return { stdout: String(result.stdout), stderr: String(result.stderr) };
    },
    async outcome(args, options = {}) {
      const { result } = await execute(args, options);
      return {
        stdout: String(result.stdout ?? ''),
        stderr: String(result.stderr ?? ''),
        exitCode: result.exitCode ?? -1,
        timedOut: result.timedOut,
      };
    },
  };
}
