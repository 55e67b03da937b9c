import { connect, createServer, type Server, type Socket } from 'node:net';
import { Balancer, backendId } from './balancer.ts';
import { bindError, type ProxyError } from './proxy-error.ts';
import type { Backend, ListenerPlan } from './proxy-plan.ts';

export interface TcpListenerOptions {
  /** A connect that takes longer counts as a failure (and the next backend is tried). */
  readonly connectTimeoutMs?: number;
  /** How many backends one client connection may try before it is refused. */
  readonly maxAttempts?: number;
  readonly random?: () => number;
}

/**
 * One TCP Service port: accepts clients, picks a backend with the Balancer, splices the two
 * sockets. A backend that refuses or times out is ejected and the next one tried, so a dead
 * endpoint costs new connections nothing; only connections already on it break.
 */
export class TcpServiceListener {
  readonly balancer: Balancer;
  readonly #server: Server;
  readonly #clients = new Set<Socket>();
  readonly #connectTimeoutMs: number;
  readonly #maxAttempts: number;
  #plan: ListenerPlan;
  #refused = 0;
  #refusedLoggedAt = 0;
  #lastConnectError: string | undefined;

  constructor(plan: ListenerPlan, options: TcpListenerOptions = {}) {
    this.#plan = plan;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.balancer = new Balancer(plan.backends, {
      affinityTimeoutMs: plan.affinityTimeoutMs,
      ...(options.random ? { random: options.random } : {}),
    });
    this.#server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (client) =>
      this.#accept(client),
    );
  }

  get plan(): ListenerPlan {
    return this.#plan;
  }

  listen(): Promise<ProxyError | undefined> {
    const { address, port } = this.#plan;
    return new Promise((resolve) => {
      const onError = (err: Error) => resolve(bindError(`TCP ${address}:${port}`, err));
      this.#server.once('error', onError);
      this.#server.listen({ host: address, port, backlog: 1024 }, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) =>
          console.error(`kedge proxy: TCP ${address}:${port}: ${String(err)}`),
        );
        resolve(undefined);
      });
    });
  }

  /** New backends; connections to removed ones drain (they finish, no new ones go there). */
  update(plan: ListenerPlan): void {
    this.#plan = plan;
    this.balancer.setBackends(plan.backends, plan.affinityTimeoutMs);
  }

  /** Stops accepting; open connections get `drainMs` to finish, then are cut. */
  async close(drainMs = 30_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const deadline = setTimeout(() => {
      for (const c of this.#clients) c.destroy();
    }, drainMs);
    await closed;
    clearTimeout(deadline);
  }

  #accept(client: Socket): void {
    this.#clients.add(client);
    client.once('close', () => this.#clients.delete(client));
    client.on('error', () => client.destroy()); // a client reset is routine; its pair is torn down below
    this.#attempt(client, new Set());
  }

  #attempt(client: Socket, tried: Set<string>): void {
    if (client.destroyed) return;
    const backend = this.balancer.pick(client.remoteAddress ?? '', tried);
    if (!backend) {
      this.#refuse(client, tried.size === 0 ? 'no ready endpoint' : `every endpoint tried failed`);
      return;
    }
    tried.add(backendId(backend));
    const upstream = connect({ host: backend.ip, port: backend.port, noDelay: true, allowHalfOpen: true });
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), this.#connectTimeoutMs);
    const onConnectError = (error: Error) => {
      clearTimeout(timer);
      this.balancer.connectFailed(backend);
      this.#lastConnectError = `${backendId(backend)}: ${error.message}`;
      if (tried.size < this.#maxAttempts) this.#attempt(client, tried);
      else this.#refuse(client, `${tried.size} endpoints tried failed`);
    };
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      clearTimeout(timer);
      upstream.off('error', onConnectError);
      this.balancer.connectSucceeded(backend);
      this.#splice(client, upstream, backend);
    });
  }

  /**
   * Drops a client (no backend would take it, or its backend broke), and says so at most once a
   * second: a dropped client is otherwise only a reset on the caller's side, with nothing on this
   * node to explain it.
   */
  #refuse(client: Socket, why: string): void {
    client.destroy();
    this.#refused++;
    const now = Date.now();
    if (now - this.#refusedLoggedAt < 1000) return;
    const { address, port, service } = this.#plan;
    const backends = this.balancer.backends().map(backendId).join(', ') || 'none';
    console.error(
      `kedge proxy: TCP ${address}:${port} (${service}): dropped ${this.#refused} client(s): ${why}; endpoints: ${backends}; last connect error: ${this.#lastConnectError ?? 'none'}`,
    );
    this.#refused = 0;
    this.#refusedLoggedAt = now;
  }

  #splice(client: Socket, upstream: Socket, backend: Backend): void {
    this.balancer.connectionOpened(backend);
    // A clean close lets the pipe flush and end the other side; a reset tears it down at once.
    upstream.once('close', (hadError) => {
      this.balancer.connectionClosed(backend);
      if (hadError) this.#refuse(client, `endpoint ${backendId(backend)} reset the connection`);
      else client.end();
    });
    upstream.on('error', () => upstream.destroy()); // a backend dying mid-stream breaks this connection only
    client.once('close', (hadError) => {
      if (hadError) upstream.destroy();
      else upstream.end();
    });
    forward(client, upstream);
    forward(upstream, client);
    client.resume();
  }
}

/**
 * Copies one direction by hand instead of stream.pipe(): the same backpressure (pause on a full
 * write buffer, resume on drain) with less machinery per chunk, which is most of a proxy's cost.
 */
function forward(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.once('end', () => to.end());
}
