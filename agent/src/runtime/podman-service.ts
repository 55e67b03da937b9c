import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type LibpodClient, libpodClient } from './libpod-client.ts';
import type { PodmanCli } from './podman-cli.ts';

/**
 * The agent's own podman API service: `podman <global flags> system service --time=0
 * unix://<stateDir>/podman.sock`, a child of the agent with the same runtime, cgroup manager and
 * CONTAINERS_CONF as every CLI call, so containers made through either are the same. It shares
 * podman's storage with the CLI; it is only a faster door to it.
 */
export interface PodmanService {
  readonly client: LibpodClient;
  readonly pid: number | undefined;
  /** Why the service is gone, once it is (undefined while it runs). */
  readonly exitReason: string | undefined;
  /** Ends the service (SIGTERM); containers keep running. */
  stop(): void;
}

export type ServiceStart = { readonly service: PodmanService } | { readonly unavailable: string };

export interface PodmanServiceOptions {
  readonly cli: PodmanCli;
  readonly socketPath: string;
  /** How long to wait for the socket to answer `_ping`. */
  readonly readyTimeoutMs?: number;
}

const SETPRIV = '/usr/bin/setpriv';

/** Starts the service and waits until it answers; says why when it cannot (then the CLI is used). */
export async function startPodmanService(options: PodmanServiceOptions): Promise<ServiceStart> {
  const { cli, socketPath } = options;
  await mkdir(dirname(socketPath), { recursive: true });
  // A socket left by an agent that was killed would make the service fail to listen.
  await rm(socketPath, { force: true });
  const invocation = cli.invocation(['system', 'service', '--time=0', `unix://${socketPath}`]);
  const { env } = invocation;
  // The service must die with the agent even on kill -9 (no exit handler runs then): setpriv sets
  // the parent-death signal and execs podman. Without setpriv, only a clean exit ends it.
  const [file, argv] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'TERM', '--', invocation.file, ...invocation.argv]]
    : [invocation.file, invocation.argv];
  let child: ChildProcess;
  try {
    child = spawn(file, argv, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group would outlive us on kill -9; in ours a terminal's ^C reaches it too.
      detached: false,
    });
  } catch (err) {
    return { unavailable: `cannot spawn ${file}: ${(err as Error).message}` };
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('error', (err) => {
      exitReason ??= `${file} system service failed: ${err.message}`;
      resolve();
    });
    child.on('exit', (code, signal) => {
      exitReason ??= `${file} system service exited (${signal ?? `code ${code}`}): ${stderr.trim() || 'no output'}`;
      resolve();
    });
  });
  // The agent must be able to exit while the service runs; stop() (or our exit) ends it.
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);

  const client = libpodClient(socketPath, cli.config.timeoutMs);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  let lastError = 'no answer';
  while (exitReason === undefined && Date.now() < deadline) {
    const answer = await client.call('/_ping', { timeoutMs: 1000 }).catch((err: Error) => err);
    if (!(answer instanceof Error) && answer.status === 200) {
      return {
        service: {
          client,
          pid: child.pid,
          get exitReason() {
            return exitReason;
          },
          stop() {
            exitReason ??= 'the runtime was closed';
            process.removeListener('exit', stopOnExit);
            child.kill('SIGTERM');
          },
        },
      };
    }
    lastError = answer instanceof Error ? answer.message : `HTTP ${answer.status}`;
    await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
  }
  process.removeListener('exit', stopOnExit);
  child.kill('SIGKILL');
  return {
    unavailable:
      exitReason ?? `${file} system service did not answer on ${socketPath} in time (${lastError})`,
  };
}
