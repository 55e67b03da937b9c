/**
 * Kubernetes' remote-command channel protocol over WebSocket (`v4.channel.k8s.io`,
 * `v5.channel.k8s.io`), as pure functions: which subprotocol to speak, how a binary message
 * carries one channel, what an exec request's query asks for, and the Status that ends a session.
 *
 *   message = [channel byte][payload]
 *   client -> server: 0 stdin, 4 resize ({"Width":w,"Height":h}), 255 close (v5: [255, channel])
 *   server -> client: 1 stdout, 2 stderr, 3 status (JSON Status; ends the session)
 */
import { badRequest, type StatusError } from '../../api/errors.ts';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

/** What kedge speaks, best first. v5 adds the close signal that `kubectl exec -i` needs for EOF. */
export const STREAM_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type StreamProtocol = (typeof STREAM_PROTOCOLS)[number];

/** The best protocol the client offered (a `Sec-WebSocket-Protocol` list), or undefined. */
export function chooseProtocol(offered: Iterable<string> | string | undefined): StreamProtocol | undefined {
  if (offered === undefined) return undefined;
  const list = typeof offered === 'string' ? offered.split(',') : [...offered];
  const wanted = new Set(list.map((p) => p.trim()));
  return STREAM_PROTOCOLS.find((p) => wanted.has(p));
}

/** One server message: the channel byte, then the payload. */
export function encodeFrame(channel: number, payload: Uint8Array | string = new Uint8Array()): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const frame = Buffer.allocUnsafe(body.length + 1);
  frame[0] = channel;
  frame.set(body, 1);
  return frame;
}

export type ClientFrame =
  | { readonly kind: 'stdin'; readonly data: Buffer }
  | { readonly kind: 'resize'; readonly width: number; readonly height: number }
  | { readonly kind: 'close'; readonly channel: number }
  | { readonly kind: 'ignored'; readonly reason: string };

/** What a client message means; anything kedge does not act on is `ignored` with the reason. */
export function decodeClientFrame(message: Buffer, protocol: StreamProtocol): ClientFrame {
  if (message.length === 0) return { kind: 'ignored', reason: 'an empty message carries no channel' };
  const channel = message[0]!;
  const payload = message.subarray(1);
  if (channel === CHANNEL.stdin) return { kind: 'stdin', data: payload };
  if (channel === CHANNEL.resize) {
    const size = parseTerminalSize(payload.toString());
    return typeof size === 'string' ? { kind: 'ignored', reason: size } : { kind: 'resize', ...size };
  }
  if (channel === CHANNEL.close && protocol === 'v5.channel.k8s.io') {
    if (payload.length !== 1) return { kind: 'ignored', reason: 'a close message names exactly one channel' };
    return { kind: 'close', channel: payload[0]! };
  }
  return { kind: 'ignored', reason: `channel ${channel} is not one a client writes` };
}

/**
 * One resize message (`{"Width":w,"Height":h}`: channel 4, or one line of SPDY's resize stream),
 * or why it is ignored. 0x0 is what a client sends when it cannot read its own terminal's size.
 */
export function parseTerminalSize(text: string): { width: number; height: number } | string {
  let size: { Width?: unknown; Height?: unknown };
  try {
    size = JSON.parse(text) as { Width?: unknown; Height?: unknown };
  } catch (error) {
    return `a resize that is not JSON: ${(error as Error).message}`;
  }
  const { Width: width, Height: height } = size ?? {};
  const valid = (n: unknown): n is number =>
    Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff;
  if (!valid(width) || !valid(height)) return 'a resize without whole Width and Height from 0 to 65535';
  if (width === 0 && height === 0) return 'a resize to 0x0 (the client does not know its size)';
  return { width, height };
}

/** What `pods/{name}/exec` was asked to run, from its query string. */
export interface ExecRequest {
  readonly command: readonly string[];
  readonly container: string | undefined;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

const flag = (q: URLSearchParams, name: string) => {
  const v = q.get(name);
  return v === 'true' || v === '1';
};

/** The request, or a BadRequest in Kubernetes' words (the checks its exec options make). */
export function parseExecQuery(q: URLSearchParams): ExecRequest | StatusError {
  const command = q.getAll('command');
  if (command.length === 0 || command[0] === '')
    return badRequest('you must specify at least 1 command (kubectl exec POD -- COMMAND [args...])');
  const request: ExecRequest = {
    command,
    container: q.get('container') || undefined,
    stdin: flag(q, 'stdin'),
    stdout: flag(q, 'stdout'),
    stderr: flag(q, 'stderr'),
    tty: flag(q, 'tty'),
  };
  if (!request.stdin && !request.stdout && !request.stderr)
    return badRequest('you must specify at least one of stdin, stdout, stderr');
  if (request.tty && request.stderr)
    return badRequest('stderr cannot be requested with tty: a terminal merges it into stdout');
  return request;
}

/**
 * What `pods/{name}/attach` asks for: the container's own process, so no command; the same
 * streams as exec. Its `command` is empty.
 */
export function parseAttachQuery(q: URLSearchParams): ExecRequest | StatusError {
  const request: ExecRequest = {
    command: [],
    container: q.get('container') || undefined,
    stdin: flag(q, 'stdin'),
    stdout: flag(q, 'stdout'),
    stderr: flag(q, 'stderr'),
    tty: flag(q, 'tty'),
  };
  if (!request.stdin && !request.stdout && !request.stderr)
    return badRequest('you must specify at least one of stdin, stdout, stderr');
  if (request.tty && request.stderr)
    return badRequest('stderr cannot be requested with tty: a terminal merges it into stdout');
  return request;
}

/** The channel-3 Status that ends a session: Success, or the exit code as kubectl reads it. */
export function exitStatus(exitCode: number, command: readonly string[]): object {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** The channel-3 Status for a session that failed before the command could report an exit code. */
export function failureStatus(message: string): object {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

/** Answer for clients that offer no transport or protocol kedge speaks. */
export const SUPPORTED_STREAMING =
  'kedge streams exec over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io; kubectl 1.30 and newer) ' +
  'or SPDY/3.1 (v4.channel.k8s.io; kubectl 1.5 to 1.29): use one of those kubectl versions ' +
  '(e.g. /usr/lib/google-cloud-sdk/bin/kubectl.1.33)';
