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
}

export const defaultPodmanConfig: PodmanConfig = {
  binary: process.env.KEDGE_PODMAN ?? 'podman',
  runtime: process.env.KEDGE_OCI_RUNTIME ?? 'runc',
  cgroupManager: process.env.KEDGE_CGROUP_MANAGER ?? 'cgroupfs',
  ulimits: ['nofile=1024:1024', 'nproc=1024:1024'],
  timeoutMs: 60_000,
};

export type RuntimeErrorKind = 'NotInstalled' | 'NotFound' | 'Failed' | 'Timeout';

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

export interface PodmanCli {
  readonly config: PodmanConfig;
  /** Runs `podman <global flags> <args>` and returns its output; throws RuntimeError on failure. */
  run(args: readonly string[], options?: { input?: string; signal?: AbortSignal }): Promise<PodmanResult>;
  /** Flags that `run` and `create` need on this machine (the ulimits). */
  containerFlags(): string[];
}

/** Global flags go before the subcommand; they select the runtime and cgroup manager. */
export function globalFlags(config: PodmanConfig): string[] {
  const flags: string[] = [];
  if (config.runtime) flags.push('--runtime', config.runtime);
  if (config.cgroupManager) flags.push(`--cgroup-manager=${config.cgroupManager}`);
  return flags;
}

export function podmanCli(config: PodmanConfig = defaultPodmanConfig): PodmanCli {
  const base = globalFlags(config);
  return {
    config,
    containerFlags: () => config.ulimits.flatMap((u) => ['--ulimit', u]),
    async run(args, options = {}) {
      const argv = [...base, ...args];
      const command = [config.binary, ...argv].join(' ');
      const result = await execa(config.binary, argv, {
        reject: false,
        timeout: config.timeoutMs,
        input: options.input,
        cancelSignal: options.signal,
        stripFinalNewline: true,
      });
      if (result.failed) {
        const err = result as typeof result & { code?: string };
        if (err.code === 'ENOENT') {
          throw new RuntimeError(
            'NotInstalled',
            `${config.binary} is not installed: install it (Debian: apt-get install -y podman runc) or set KEDGE_PODMAN`,
            command,
          );
        }
        if (result.timedOut) {
          throw new RuntimeError('Timeout', `${command} timed out after ${config.timeoutMs} ms`, command);
        }
        const stderr = String(result.stderr ?? '');
        const kind: RuntimeErrorKind =
          /no such (container|pod|image|object|volume)|not found|does not exist/i.test(stderr)
            ? 'NotFound'
            : 'Failed';
        throw new RuntimeError(
          kind,
          `${command} failed (exit ${result.exitCode}): ${stderr.trim() || 'no output'}`,
          command,
          result.exitCode,
          stderr,
        );
      }
      return { stdout: String(result.stdout), stderr: String(result.stderr) };
    },
  };
}
