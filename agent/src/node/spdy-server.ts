/**
 * A SPDY/3.1 server connection for Kubernetes' streaming clients (client-go's spdystream), on a
 * socket whose upgrade was accepted here or on a WebSocket that tunnels SPDY (port-forward in
 * kubectl 1.31 and newer). Used by exec (spdy-exec-client.ts) and port-forward.
 *
 * spdy-transport (the only SPDY/3.1 code on npm) needs two adjustments for that peer:
 * - it insists on HTTP's `:method` and `:path` in every SYN_STREAM, which spdystream never sends,
 *   so patchSpdyParser() supplies them (once, for this process) before the parser checks;
 * - spdystream has no flow control, see withoutSendFlowControl().
 */
import type { Duplex } from 'node:stream';
import transport, { type SpdyConnection, type SpdyParserPrototype } from 'spdy-transport';

/** Answers the upgrade with 101 naming `protocol`, then speaks SPDY on the socket. */
export function acceptSpdy(
  socket: Duplex,
  head: Buffer,
  protocol: string,
  log: (message: string) => void,
): SpdyConnection {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
      `X-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
  if (head.length > 0) socket.unshift(head);
  return spdyServer(socket, log);
}

/** A SPDY server connection over any byte stream (an upgraded socket, a tunnelling WebSocket). */
export function spdyServer(stream: Duplex, log: (message: string) => void): SpdyConnection {
  patchSpdyParser();
  const connection = transport.connection.create(stream, { protocol: 'spdy', isServer: true });
  connection.on('error', (error) => log(`SPDY connection: ${error?.message ?? 'error'}`));
  connection.start(3.1);
  withoutSendFlowControl(connection);
  return connection;
}

let patched = false;
function patchSpdyParser(): void {
  if (patched) return;
  patched = true;
  const prototype = Object.getPrototypeOf(
    transport.protocol.spdy.parser.create({ isServer: true, window: null }),
  ) as SpdyParserPrototype;
  const parseKVs = prototype.parseKVs;
  prototype.parseKVs = function parseKVsWithHttpDefaults(this: unknown, buffer, callback) {
    parseKVs.call(this, buffer, (error, headers) => {
      if (headers !== undefined) {
        headers[':method'] ??= 'POST';
        headers[':path'] ??= '/';
      }
      callback(error, headers);
    });
  };
}

interface WindowSide {
  current: number;
  max: number;
  limit: number;
}
interface ConnectionInternals {
  _spdyState: { window: { send: WindowSide }; streamWindow: { send: WindowSide } };
}

/**
 * Kubernetes' spdystream has no flow control: it never sends WINDOW_UPDATE, so with SPDY's
 * 64 KiB initial window the server would stall after 64 KiB of output. Its own reads are
 * bounded by TCP instead, so the send windows (the connection's and the template every stream
 * copies) are made unbounded, as Kubernetes' server side effectively has them.
 */
function withoutSendFlowControl(connection: SpdyConnection): void {
  const state = (connection as unknown as ConnectionInternals)._spdyState;
  for (const side of [state.window.send, state.streamWindow.send]) {
    side.current = Number.MAX_SAFE_INTEGER;
    side.max = Number.MAX_SAFE_INTEGER;
    side.limit = Number.MAX_SAFE_INTEGER;
  }
}
