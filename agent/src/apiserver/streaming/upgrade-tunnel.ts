/**
 * HTTP Upgrade requests (WebSocket, SPDY) at the byte level: refuse one with a Status, or replay
 * it to another agent over TLS and join the two sockets, so that the far side's answer (101 and
 * the stream, or its own Status) reaches the client unchanged and unbuffered.
 *
 *   client socket ── request line + headers (+ head) ──> TLS to target
 *   client socket <══════════════ bytes both ways ═════> target socket   (either end closes both)
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { makeStatus } from '../../api/errors.ts';
import type { Status } from '../../api/types/meta.ts';

/** Handles an upgrade request and returns true, or returns false when the path is not its own. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/**
 * The server's 'upgrade' listener: the first handler that owns the path serves it; an upgrade
 * nobody serves gets a NotFound Status rather than a dropped connection.
 */
export function routeUpgrades(
  handlers: readonly UpgradeHandler[],
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    for (const handler of handlers) if (handler(req, socket, head)) return;
    refuseUpgrade(
      socket,
      makeStatus(
        'NotFound',
        `no upgrade is served at ${req.url ?? '/'}; kedge streams pods/{name}/exec only`,
      ),
    );
  };
}

/** Writes `status` as a plain HTTP answer on a socket that will not be upgraded, then ends it. */
export function refuseUpgrade(socket: Duplex, status: Status): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

export interface TunnelTarget {
  readonly host: string;
  readonly port: number;
  /** Path and query to ask the target for. */
  readonly path: string;
  readonly ca: string;
  /** This agent's certificate, when the target answers agents only. */
  readonly clientCert?: { readonly cert: string; readonly key: string };
  /** Request headers not to pass on (lower case), e.g. the user's token to a node. */
  readonly dropHeaders?: readonly string[];
  readonly connectTimeoutMs?: number;
}

/**
 * Replays the upgrade to `target` and relays bytes until either side closes. Rejects only when
 * the target could not be reached (nothing was written to the client yet, so the caller may
 * answer with a Status); resolves when the tunnel is up.
 */
export function tunnelUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: TunnelTarget,
): Promise<void> {
  // Hop-by-hop headers are rewritten, not copied; the upgrade itself is kept.
  const drop = new Set(['host', 'content-length', 'transfer-encoding', ...(target.dropHeaders ?? [])]);
  let headers = `${req.method ?? 'GET'} ${target.path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n`;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!drop.has(name.toLowerCase())) headers += `${name}: ${req.rawHeaders[i + 1]}\r\n`;
  }
  headers += '\r\n';
  return new Promise((resolve, reject) => {
    const upstream = tlsConnect({
      host: target.host,
      port: target.port,
      ca: target.ca,
      ...(target.clientCert ? { cert: target.clientCert.cert, key: target.clientCert.key } : {}),
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(
      () => upstream.destroy(new Error(`no TLS connection within ${target.connectTimeoutMs ?? 3000} ms`)),
      target.connectTimeoutMs ?? 3000,
    );
    let joined = false;
    upstream.once('secureConnect', () => {
      clearTimeout(timer);
      joined = true;
      // The client left while the connection was made: nothing to relay to.
      if (client.destroyed) {
        upstream.destroy();
        resolve();
        return;
      }
      upstream.write(headers);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
      // Either end going away ends the other: a client that leaves stops the session on the node.
      upstream.on('close', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      resolve();
    });
    upstream.on('error', (error) => {
      clearTimeout(timer);
      // Before the join the client is untouched: the caller may try elsewhere or answer it.
      if (!joined) reject(error);
      else client.destroy();
    });
  });
}
