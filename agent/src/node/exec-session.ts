/**
 * One `kubectl exec` session on the node: the client's connection on one side (an ExecClient:
 * WebSocket channels, websocket-exec-client.ts, or SPDY streams, spdy-exec-client.ts), the
 * running command (runtime/exec-stream.ts) on the other.
 *
 *   client stdin ───────────────> command stdin        (a full pipe pauses the client's input)
 *   client closes stdin ────────> command stdin ends
 *   client <── stdout / stderr ── command output       (one chunk in flight per stream)
 *   client <── exit Status ────── command exit code     (Success | NonZeroExitCode + ExitCode)
 *   client resizes (-t) ────────> the command's terminal takes the size (SIGWINCH inside)
 *   client goes away ───────────> the command is killed
 */
import type { Readable } from 'node:stream';
import { type ExecRequest, exitStatus, failureStatus } from '../apiserver/streaming/channel-protocol.ts';
import type { ExecExit, ExecProcess, TerminalSize } from '../runtime/exec-stream.ts';

/** How long output may keep flowing after the command exited (a background child holding the pipe). */
const OUTPUT_GRACE_MS = 2000;

export type OutputStream = 'stdout' | 'stderr';

/** What the session needs from a client connection, whatever its wire protocol. */
export interface ExecClient {
  isOpen(): boolean;
  /** Sends output; `written` once the connection took it (so the next chunk may be read). */
  send(stream: OutputStream, chunk: Buffer, written: () => void): void;
  /** Ends the session: the exit Status, then the connection closes. */
  finish(status: object): void;
  /** Starts delivering the client's input and its departure. */
  listen(input: ClientInput): void;
  pauseInput(): void;
  resumeInput(): void;
}

export interface ClientInput {
  stdin(data: Buffer): void;
  stdinEnd(): void;
  /** The client's terminal changed size (its first message gives the size it starts with). */
  resize(size: TerminalSize): void;
  gone(): void;
}

export interface ExecSessionOptions {
  readonly request: ExecRequest;
  readonly log: (message: string) => void;
}

/** Runs the session to its end; resolves once the client has the exit status or has gone. */
export async function runExecSession(
  client: ExecClient,
  command: ExecProcess,
  options: ExecSessionOptions,
): Promise<void> {
  const { request, log } = options;
  let finished = false;
  let leave: () => void = () => undefined;
  const clientGone = new Promise<void>((resolve) => {
    leave = resolve;
  });
  client.listen({
    stdin(data) {
      const stdin = command.stdin;
      if (stdin === undefined || stdin.writableEnded || stdin.destroyed) return;
      if (!stdin.write(data)) {
        client.pauseInput();
        stdin.once('drain', () => client.resumeInput());
      }
    },
    stdinEnd() {
      command.stdin?.end();
    },
    resize(size) {
      // Without -t there is no terminal: the size means nothing to a pipe.
      if (!request.tty) return;
      command
        .resize(size)
        .catch((error: unknown) =>
          log(`could not resize exec session ${command.session}: ${(error as Error).message}`),
        );
    },
    gone() {
      leave();
      if (finished) return;
      // The client left mid-session: end the command rather than leave it running unattended.
      command
        .kill()
        .catch((error: unknown) =>
          log(`could not end exec session ${command.session}: ${(error as Error).message}`),
        );
    },
  });

  const outputs = Promise.all([
    pump(command.stdout, request.stdout || request.tty ? 'stdout' : undefined, client),
    pump(command.stderr, request.stderr ? 'stderr' : undefined, client),
  ]);
  const exit = await Promise.race([command.exited, clientGone.then(() => undefined)]);
  if (exit === undefined) return;
  await Promise.race([outputs, sleep(OUTPUT_GRACE_MS), clientGone]);
  finished = true;
  if (!client.isOpen()) return;
  client.finish(statusFor(exit, request.command));
  await clientGone;
}

function statusFor(exit: ExecExit, command: readonly string[]): object {
  return exit.kind === 'exited' ? exitStatus(exit.exitCode, command) : failureStatus(exit.message);
}

/** Sends a stream's chunks to the client (or drops them when the client did not ask for it). */
function pump(stream: Readable, to: OutputStream | undefined, client: ExecClient): Promise<void> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      if (to === undefined || !client.isOpen()) return;
      // One chunk in flight: the command's pipe fills and it waits when the client reads slowly.
      stream.pause();
      client.send(to, chunk, () => stream.resume());
    });
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
