/**
 * A command run in a container with its streams open (`podman exec -i`), for `kubectl exec`:
 * stdin is written as it comes, stdout and stderr are read as the command writes them, and the
 * exit code arrives at the end. Nothing is buffered beyond the pipes.
 *
 *   startExec ─> podman exec [-i] [-t] -e KEDGE_EXEC_SESSION=<id> <container> <command...>
 *                  stdin ◀── writer     stdout/stderr ──▶ readers     exit ──▶ ExecExit
 *   kill()    ─> SIGKILL every host process carrying the session's marker, then the CLI
 *   resize()  ─> (-t) a marker process whose stdin is the container's terminal
 *                  ─> stty -F /proc/<pid>/fd/0 rows H cols W   (the kernel sends it SIGWINCH)
 *
 * Why the marker: killing the podman CLI does not end the command inside the container (conmon
 * keeps the exec session), so a client that went away would leave `sleep 1000` behind. The
 * command and its children inherit the variable, which finds them in /proc.
 *
 * Why stty on the terminal itself: the podman CLI resizes an exec's terminal only from a terminal
 * of its own, and here its stdin is a pipe. The container's terminal is a pty that the command
 * holds as fd 0; setting the size on it (TIOCSWINSZ, as conmon does on the other end) is what a
 * resize means, needs no podman API, and signals the foreground process group as a real one does.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import { type PodmanCli, RuntimeError } from './podman-cli.ts';

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

/** A terminal's size in characters, as kubectl's resize messages carry it. */
export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

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
  /** Sets the size of the command's terminal (-t; without one nothing happens). */
  resize(size: TerminalSize): Promise<void>;
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
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const resize = options.tty
    ? terminalResizer((size) =>
        setTerminalSize(
          () => sessionTerminal(session),
          size,
          () => ended,
          `exec session ${session}`,
        ),
      )
    : async () => undefined;
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
    resize,
  };
}

/**
 * `kubectl attach`: the container's own process streams (`podman attach`). Leaving detaches: the
 * CLI is killed and the container runs on. A resize goes to the terminal of the container's
 * main process (its pid from inspect).
 */
export function startAttach(cli: PodmanCli, id: string, options: ExecStreamOptions): ExecProcess {
  const { file, argv, env } = cli.invocation([
    'attach',
    ...(options.stdin ? [] : ['--no-stdin']),
    // A signal to the CLI (its kill when the client leaves) must not reach the container.
    '--sig-proxy=false',
    id,
  ]);
  const subprocess = execa(file, argv, {
    env,
    reject: false,
    stdin: options.stdin ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    stripFinalNewline: false,
  });
  subprocess.stdin?.on('error', () => undefined);
  const exited: Promise<ExecExit> = subprocess.then(
    (result) => {
      const failure = result as typeof result & { code?: string };
      if (failure.code === 'ENOENT')
        return { kind: 'failed', message: `${file} is not installed on this node: install podman` };
      // 125: podman itself failed (the container stopped meanwhile); else the container ended.
      if (result.exitCode === 125) return { kind: 'failed', message: `${file} attach to ${id} failed` };
      return { kind: 'exited', exitCode: 0 };
    },
    (error: unknown) => ({ kind: 'failed', message: (error as Error).message }),
  );
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const mainTerminal = async () => {
    const { stdout } = await cli.run(['inspect', '--format', '{{.State.Pid}}', id]);
    const pid = Number(stdout.trim());
    return pid > 0 ? terminalOf(pid) : undefined;
  };
  return {
    session: `attach-${id.slice(0, 12)}`,
    stdin: subprocess.stdin ?? undefined,
    stdout: subprocess.stdout!,
    stderr: subprocess.stderr!,
    exited,
    async kill() {
      subprocess.kill('SIGKILL');
    },
    resize: options.tty
      ? terminalResizer((size) => setTerminalSize(mainTerminal, size, () => ended, `the attach to ${id}`))
      : async () => undefined,
  };
}

/**
 * Applies sizes one at a time, the latest wins: a burst of resizes (a window being dragged)
 * costs one stty per size still wanted when the previous one is done, never a stale one last.
 */
export function terminalResizer(
  apply: (size: TerminalSize) => Promise<void>,
): (size: TerminalSize) => Promise<void> {
  let wanted: TerminalSize | undefined;
  let running: Promise<void> | undefined;
  const take = (): TerminalSize | undefined => {
    const size = wanted;
    wanted = undefined;
    return size;
  };
  return (size) => {
    wanted = size;
    running ??= (async () => {
      try {
        for (let next = take(); next !== undefined; next = take()) await apply(next);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}

/** How long a resize waits for the command to appear (kubectl sends the first size at once). */
const TERMINAL_WAIT_MS = 5000;

/**
 * Sets the size of the terminal `find` locates (a `/proc/<pid>/fd/0`), waiting for it to appear;
 * done quietly when the session ended first. `what` names the session in errors.
 */
export async function setTerminalSize(
  find: () => Promise<string | undefined>,
  size: TerminalSize,
  ended: () => boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + TERMINAL_WAIT_MS;
  for (;;) {
    if (ended()) return;
    const terminal = await find();
    if (terminal !== undefined) {
      const args = ['-F', terminal, 'rows', String(size.height), 'cols', String(size.width)];
      const result = await execa('stty', args, { reject: false });
      // The command may end between the look and stty: its terminal is gone, nothing to resize.
      if (result.exitCode === 0 || ended()) return;
      throw new RuntimeError(
        'Failed',
        `could not resize the terminal of ${what}: stty ${args.join(' ')} failed: ${String(result.stderr).trim() || result.message}; is coreutils' stty installed on this node?`,
        `stty ${args.join(' ')}`,
        result.exitCode,
        String(result.stderr),
      );
    }
    if (Date.now() > deadline)
      throw new RuntimeError(
        'Failed',
        `${what} shows no terminal after ${TERMINAL_WAIT_MS} ms; its resize is dropped`,
        'resize',
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `/proc/<pid>/fd/0` of a session process whose stdin is a pty (the container's terminal). */
async function sessionTerminal(session: string, procRoot = '/proc'): Promise<string | undefined> {
  for (const pid of await sessionProcesses(session, procRoot)) {
    const terminal = await terminalOf(pid, procRoot);
    if (terminal !== undefined) return terminal;
  }
  return undefined;
}

async function terminalOf(pid: number, procRoot = '/proc'): Promise<string | undefined> {
  const stdin = `${procRoot}/${pid}/fd/0`;
  // Unreadable: the process is gone or not ours; either way it holds no terminal for us.
  const target = await readlink(stdin).catch(() => undefined);
  return target !== undefined && /^\/dev\/pts\/\d+$/.test(target) ? stdin : undefined;
}

/** Pids of the processes whose environment carries the session marker. */
async function sessionProcesses(session: string, procRoot: string): Promise<number[]> {
  const marker = Buffer.from(`${EXEC_SESSION_ENV}=${session}\0`);
  const pids: number[] = [];
  for (const entry of await readdir(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    // The CLI itself carries the marker only in its argv, never in its environment. A process
    // that exited or is not ours to read is simply not one of the session's.
    const environ = await readFile(`${procRoot}/${entry}/environ`).catch(() => undefined);
    if (environ !== undefined && environ.indexOf(marker) >= 0) pids.push(Number(entry));
  }
  return pids;
}

/** SIGKILLs every process whose environment carries the session marker; returns their pids. */
export async function killSession(session: string, procRoot = '/proc'): Promise<number[]> {
  const killed: number[] = [];
  for (const pid of await sessionProcesses(session, procRoot)) {
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
