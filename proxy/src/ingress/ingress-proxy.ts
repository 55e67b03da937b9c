import {
  Agent,
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { EndpointView } from '../endpoint-table-types.ts';
import { bindError, type ProxyError } from '../proxy-error.ts';
import type { Backend } from '../proxy-plan.ts';
import type { ProxyService } from '../service-types.ts';
import type { ProxyIngress, TlsSecret } from './ingress-types.ts';
import { LeastConnections } from './least-connections.ts';
import { buildRouteTable, matchRoute, type Route, type RouteTable } from './route-table.ts';

export interface IngressProxyOptions {
  /** The node address both listeners bind. */
  readonly address: string;
  readonly httpPort: number;
  /** HTTPS listener port; none when undefined. */
  readonly httpsPort?: number;
}

/** Headers that describe one hop and must not be forwarded (RFC 9110 7.6.1). */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

const EMPTY_TABLE: RouteTable = {
  hosts: new Map(),
  defaultBackend: undefined,
  certificates: new Map(),
  problems: [],
};

/**
 * The node's L7 proxy for Ingress: HTTP and HTTPS (SNI picks the certificate per host), routes by
 * host and path from a RouteTable (pure, route-table.ts), least in-flight requests over the
 * route's ready endpoints, X-Forwarded-For/Proto/Host, WebSocket and other Upgrades passed through.
 * A new table replaces the old one at once; requests in flight finish on the backend they have.
 */
export class IngressProxy {
  readonly #options: IngressProxyOptions;
  readonly #http: Server;
  readonly #https: Server | undefined;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 });
  readonly #balancer = new LeastConnections();
  #table: RouteTable = EMPTY_TABLE;
  #contexts = new Map<string, SecureContext>();
  #contextsByPem = new Map<string, SecureContext>();
  /** Client sockets of upgraded (WebSocket) streams: the HTTP server no longer tracks them. */
  readonly #tunnels = new Set<Socket>();

  constructor(options: IngressProxyOptions) {
    this.#options = options;
    this.#http = createHttpServer((req, res) => this.#request(req, res, 'http'));
    this.#http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.#upgrade(req, socket, head, 'http'),
    );
    if (options.httpsPort !== undefined) {
      this.#https = createHttpsServer(
        {
          SNICallback: (name, done) => {
            const ctx = this.#contextFor(name);
            if (ctx) done(null, ctx);
            else done(new Error(`no certificate for ${name}`));
          },
        },
        (req, res) => this.#request(req, res, 'https'),
      );
      this.#https.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
        this.#upgrade(req, socket, head, 'https'),
      );
    }
  }

  /** The table in force (for inspection and tests). */
  get table(): RouteTable {
    return this.#table;
  }

  async listen(): Promise<ProxyError | undefined> {
    const { address, httpPort, httpsPort } = this.#options;
    const err = await listenOn(this.#http, address, httpPort, `ingress HTTP ${address}:${httpPort}`);
    if (err || !this.#https || httpsPort === undefined) return err;
    return listenOn(this.#https, address, httpsPort, `ingress HTTPS ${address}:${httpsPort}`);
  }

  /** Recomputes the routes; returns what could not be honoured (missing Services, secrets). */
  update(
    ingresses: readonly ProxyIngress[],
    services: readonly ProxyService[],
    view: EndpointView,
    secrets: readonly TlsSecret[],
  ): readonly string[] {
    const badCertificates = this.setTable(buildRouteTable(ingresses, services, view, secrets));
    return [...this.#table.problems, ...badCertificates];
  }

  /** Installs the table; returns the hosts whose certificate could not be loaded (they get none). */
  setTable(table: RouteTable): string[] {
    const contexts = new Map<string, SecureContext>();
    const byPem = new Map<string, SecureContext>();
    const problems: string[] = [];
    for (const [host, pair] of table.certificates) {
      // Reuse a context whose PEM did not change: building one parses the key, which is not cheap.
      const pem = pair.cert + pair.key;
      let ctx = byPem.get(pem) ?? this.#contextsByPem.get(pem);
      if (!ctx) {
        try {
          ctx = createSecureContext({ cert: pair.cert, key: pair.key });
        } catch (error) {
          // One bad Secret must not keep every other route from updating.
          problems.push(
            `TLS certificate for ${host} is unusable (${(error as Error).message}); fix its Secret's tls.crt/tls.key`,
          );
          continue;
        }
      }
      byPem.set(pem, ctx);
      contexts.set(host, ctx);
    }
    this.#table = table;
    this.#contexts = contexts;
    this.#contextsByPem = byPem;
    return problems;
  }

  /** Stops accepting; requests and upgraded streams in flight get `drainMs` to finish, then are cut. */
  async close(drainMs = 10_000): Promise<void> {
    const servers = [this.#http, ...(this.#https ? [this.#https] : [])];
    const cut = setTimeout(() => {
      for (const s of servers) s.closeAllConnections();
      for (const t of this.#tunnels) t.destroy();
    }, drainMs);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s.listening) return resolve();
            s.close(() => resolve());
            s.closeIdleConnections();
          }),
      ),
    );
    clearTimeout(cut);
    this.#agent.destroy();
  }

  #contextFor(serverName: string): SecureContext | undefined {
    const name = serverName.toLowerCase();
    const dot = name.indexOf('.');
    return this.#contexts.get(name) ?? (dot > 0 ? this.#contexts.get(`*${name.slice(dot)}`) : undefined);
  }

  /** Route, pick, forward; 404 without a rule, 503 without a ready endpoint, 502 when it fails. */
  #request(req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https'): void {
    const found = this.#choose(req);
    if (typeof found === 'number') {
      res.writeHead(found, { 'content-type': 'text/plain' });
      res.end(found === 404 ? 'no Ingress rule matches this host and path\n' : 'no ready endpoint\n');
      return;
    }
    const { backend } = found;
    this.#balancer.opened(backend);
    let released = false;
    const release = () => {
      if (!released) this.#balancer.closed(backend);
      released = true;
    };
    res.once('close', release);
    const upstream = request({
      host: backend.ip,
      port: backend.port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req, proto, false),
      agent: this.#agent,
    });
    upstream.on('response', (r) => {
      const headers = { ...r.headers };
      for (const h of HOP_BY_HOP) delete headers[h];
      res.writeHead(r.statusCode ?? 502, r.statusMessage, headers);
      r.pipe(res);
      r.on('error', () => res.destroy());
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      release();
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`backend ${backend.ip}:${backend.port} failed: ${err.code ?? err.message}\n`);
      }
    });
    // A client that goes away mid-request takes its backend request with it.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  #choose(req: IncomingMessage): { route: Route; backend: Backend } | 404 | 503 {
    const route = matchRoute(this.#table, req.headers.host ?? '', req.url ?? '/');
    if (!route) return 404;
    const backend = this.#balancer.pick(route.backends);
    return backend ? { route, backend } : 503;
  }

  /** Upgrade (WebSocket): the request head is replayed to the backend, then bytes flow both ways. */
  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer, proto: 'http' | 'https'): void {
    socket.on('error', () => socket.destroy());
    this.#tunnels.add(socket);
    socket.once('close', () => this.#tunnels.delete(socket));
    const found = this.#choose(req);
    if (typeof found === 'number') {
      socket.end(
        `HTTP/1.1 ${found} ${found === 404 ? 'Not Found' : 'Service Unavailable'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    }
    const { backend } = found;
    this.#balancer.opened(backend);
    const upstream = connect({ host: backend.ip, port: backend.port });
    upstream.once('close', () => this.#balancer.closed(backend));
    upstream.on('error', () => {
      if (!socket.destroyed)
        socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      upstream.destroy();
    });
    upstream.once('connect', () => {
      const headers = forwardedHeaders(req, proto, true);
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [k, v] of Object.entries(headers))
        for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined) lines.push(`${k}: ${one}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      socket.once('close', () => upstream.destroy());
      upstream.once('close', () => socket.destroy());
    });
  }
}

/** The request's headers for the backend: hop-by-hop ones dropped (kept for an Upgrade), X-Forwarded-* added. */
function forwardedHeaders(
  req: IncomingMessage,
  proto: 'http' | 'https',
  upgrade: boolean,
): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = { ...req.headers };
  if (!upgrade) for (const h of HOP_BY_HOP) delete headers[h];
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior
    ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}`
    : client;
  headers['x-forwarded-proto'] = proto;
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers['x-real-ip'] = client;
  return headers;
}

function listenOn(
  server: Server,
  address: string,
  port: number,
  what: string,
): Promise<ProxyError | undefined> {
  return new Promise((resolve) => {
    const onError = (err: Error) => resolve(bindError(what, err));
    server.once('error', onError);
    server.listen({ host: address, port }, () => {
      server.off('error', onError);
      server.on('error', (err) => console.error(`kedge ${what}: ${String(err)}`));
      resolve(undefined);
    });
  });
}
