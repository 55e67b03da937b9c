/**
 * A command run in a container with its streams open (`podman exec -i`), for `kubectl exec`:
 * stdin is written as it comes, stdout and stderr are read as the command writes them, and the
 * exit code arrives at the end. Nothing is buffered beyond the pipes.
 *
 *   startExec ─> podman exec [-i] [-t] -e KEDGE_EXEC_SESSION=<id> <container> <command...>
 *                  stdin ◀── writer     stdout/stderr ──▶ readers     exit ──▶ ExecExit
 *   kill()    ─> SIGKILL every host process carrying the session's marker, then the CLI
 *
 * Why the marker: killing the podman CLI does not end the command inside the container (conmon
 * keeps the exec session), so a client that went away would leave `sleep 1000` behind. The
 * command and its children inherit the variable, which finds them in /proc.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import type { PodmanCli } from './podman-cli.ts';

export const EXEC_SESSION_ENV = 'KEDGE_EXEC_SESSION';

export interface ExecStreamOptions {
  /** Keep the command's stdin open for the caller to write (`-i`). */
  readonly stdin: boolean;
  /** A terminal inside the container (`-t`): stdout and stderr arrive merged on stdout. */
  readonly tty: boolean;
}

export type ExecExit =
  | { readonly kind: 'exited'; readonly exitCode: number }
  /** The CLI could not be run at all, or was killed by a signal: no exit code to report. */
  | { readonly kind: 'failed'; readonly message: string };

export interface ExecProcess {
  readonly session: string;
  /** The command's stdin; undefined unless asked for. */
  readonly stdin: Writable | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles once the CLI has exited; never rejects. */
  readonly exited: Promise<ExecExit>;
  /** Ends the command inside the container and the CLI (the client went away). */
  kill(): Promise<void>;
}

/** The podman arguments for one session. */
export function execArgs(
  id: string,
  command: readonly string[],
  options: ExecStreamOptions,
  session: string,
): string[] {
  return [
    'exec',
    ...(options.stdin ? ['-i'] : []),
    ...(options.tty ? ['-t'] : []),
    '-e',
    `${EXEC_SESSION_ENV}=${session}`,
    id,
    ...command,
  ];
}

export function startExec(
  cli: PodmanCli,
  id: string,
  command: readonly string[],
  options: ExecStreamOptions,
): ExecProcess {
  const session = randomUUID();
  const { file, argv, env } = cli.invocation(execArgs(id, command, options, session));
  const subprocess = execa(file, argv, {
    env,
    reject: false,
    stdin: options.stdin ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    stripFinalNewline: false,
  });
  // A closed stdin (the command exited first) must not become an unhandled error.
  subprocess.stdin?.on('error', () => undefined);
  const exited: Promise<ExecExit> = subprocess.then(
    (result) => {
      const failure = result as typeof result & { code?: string };
      if (failure.code === 'ENOENT')
        return { kind: 'failed', message: `${file} is not installed on this node: install podman` };
      if (result.exitCode === undefined)
        return { kind: 'failed', message: `${file} exec ended by signal ${result.signal ?? 'unknown'}` };
      return { kind: 'exited', exitCode: result.exitCode };
    },
    (error: unknown) => ({ kind: 'failed', message: (error as Error).message }),
  );
  return {
    session,
    stdin: subprocess.stdin ?? undefined,
    stdout: subprocess.stdout!,
    stderr: subprocess.stderr!,
    exited,
    async kill() {
      await killSession(session);
      subprocess.kill('SIGKILL');
    },
  };
}

/** SIGKILLs every process whose environment carries the session marker; returns their pids. */
export async function killSession(session: string, procRoot = '/proc'): Promise<number[]> {
  const marker = Buffer.from(`${EXEC_SESSION_ENV}=${session}\0`);
  const killed: number[] = [];
  for (const entry of await readdir(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    // The CLI itself carries the marker only in its argv, never in its environment.
    const environ = await readFile(`${procRoot}/${entry}/environ`).catch(() => undefined);
    if (environ === undefined || environ.indexOf(marker) < 0) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch (error) {
      // Gone already (it exited between the read and the kill): nothing left to end.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  return killed;
}
