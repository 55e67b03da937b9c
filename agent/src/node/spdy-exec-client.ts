/**
 * An exec session's client over SPDY/3.1 (kubectl 1.29 and older, and the fallback of newer
 * ones): after the 101, the client opens one SPDY stream per channel, named by a `streamtype`
 * header, and the server answers each. Protocol v4.channel.k8s.io: the Status goes on `error`.
 *
 *   101 Upgrade: SPDY/3.1, X-Stream-Protocol-Version: v4.channel.k8s.io
 *   client opens: error, [stdin], [stdout], [stderr], [resize]  (each answered with a reply)
 *   stdin data -> input.stdin, stdin FIN -> input.stdinEnd      socket close -> input.gone
 *   resize: one {"Width","Height"} JSON per line -> input.resize
 *   send -> stdout|stderr stream;  finish -> FIN on both, Status + FIN on error, GOAWAY
 */
import type { Duplex } from 'node:stream';
import type { SpdyConnection, SpdyStream } from 'spdy-transport';
import { type ExecRequest, parseTerminalSize } from '../apiserver/streaming/channel-protocol.ts';
import type { ClientInput, ExecClient } from './exec-session.ts';
import { acceptSpdy } from './spdy-server.ts';

export const SPDY_STREAM_PROTOCOL = 'v4.channel.k8s.io';
/** How long the client has to open its streams (Kubernetes waits 30 s too). */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** True when the client offered the one SPDY channel protocol kedge speaks. */
export function offersSpdyProtocol(header: string | string[] | undefined): boolean {
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
  return offered.includes(SPDY_STREAM_PROTOCOL);
}

/** Switches the socket to SPDY and waits for the streams the request asked for. */
export async function acceptSpdyExec(
  socket: Duplex,
  head: Buffer,
  request: ExecRequest,
  log: (message: string) => void,
): Promise<ExecClient> {
  const connection = acceptSpdy(socket, head, SPDY_STREAM_PROTOCOL, log);
  const wanted = new Set(['error']);
  if (request.stdin) wanted.add('stdin');
  if (request.stdout) wanted.add('stdout');
  if (request.stderr) wanted.add('stderr');
  if (request.tty) wanted.add('resize');
  const streams = new Map<string, SpdyStream>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `the client opened [${[...streams.keys()].join(' ')}] of [${[...wanted].join(' ')}] within 30 s`,
        ),
      );
    }, STREAM_CREATION_TIMEOUT_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('the client went away before opening its streams'));
    });
    connection.on('stream', (stream) => {
      const type = stream.headers.streamtype ?? '';
      stream.on('error', (error) => log(`exec SPDY stream ${type}: ${error.message}`));
      stream.respond(200, {});
      if (!wanted.has(type)) {
        stream.abort();
        return;
      }
      // Streams stay paused until the session listens (resize's first message is the start size).
      streams.set(type, stream);
      if (streams.size === wanted.size) {
        clearTimeout(timer);
        resolve();
      }
    });
  }).catch((error: unknown) => {
    socket.destroy();
    throw error;
  });
  return spdyClient(socket, connection, streams, log);
}

function spdyClient(
  socket: Duplex,
  connection: SpdyConnection,
  streams: Map<string, SpdyStream>,
  log: (message: string) => void,
): ExecClient {
  let open = true;
  const stdin = streams.get('stdin');
  return {
    isOpen: () => open && !socket.destroyed,
    send(stream, chunk, written) {
      const target = streams.get(stream);
      if (target === undefined || target.writableEnded) return written();
      target.write(chunk, () => written());
    },
    finish(status) {
      streams.get('stdout')?.end();
      streams.get('stderr')?.end();
      const error = streams.get('error');
      // The client reads the error stream to its end, decodes the Status, then hangs up itself.
      error?.end(JSON.stringify(status), () => connection.end());
    },
    listen(input: ClientInput) {
      socket.once('close', () => {
        open = false;
        input.gone();
      });
      stdin?.on('data', (data: Buffer) => input.stdin(data));
      stdin?.on('end', () => input.stdinEnd());
      // client-go writes one JSON size per line (json.Encoder) on the resize stream.
      let pending = '';
      streams.get('resize')?.on('data', (data: Buffer) => {
        const lines = (pending + data.toString()).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          const size = parseTerminalSize(line);
          if (typeof size === 'string') log(`exec SPDY resize: ignored ${size}`);
          else input.resize(size);
        }
      });
    },
    pauseInput: () => stdin?.pause(),
    resumeInput: () => stdin?.resume(),
  };
}
