import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { Balancer } from './balancer.ts';
import { bindError, type ProxyError } from './proxy-error.ts';
import type { Backend, ListenerPlan } from './proxy-plan.ts';

export interface UdpListenerOptions {
  /** A client flow with no datagrams for this long is forgotten (conntrack's UDP timeout). */
  readonly idleTimeoutMs?: number;
  readonly random?: () => number;
}

interface Flow {
  readonly backend: Backend;
  readonly upstream: Socket;
  lastSeen: number;
  /** Datagrams that arrived before the upstream socket finished connecting. */
  pending: Buffer[] | undefined;
}

/**
 * One UDP Service port. Each client (address:port) is a flow pinned to one backend through its own
 * connected upstream socket, so replies find their way back and a flow's datagrams stay in order.
 * An ICMP port-unreachable (ECONNREFUSED on the connected socket) ejects the backend.
 */
export class UdpServiceListener {
  readonly balancer: Balancer;
  readonly #socket: Socket;
  readonly #flows = new Map<string, Flow>();
  readonly #idleTimeoutMs: number;
  #sweeper: NodeJS.Timeout | undefined;
  #plan: ListenerPlan;

  constructor(plan: ListenerPlan, options: UdpListenerOptions = {}) {
    this.#plan = plan;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.balancer = new Balancer(plan.backends, {
      affinityTimeoutMs: plan.affinityTimeoutMs,
      ...(options.random ? { random: options.random } : {}),
    });
    this.#socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.#socket.on('message', (msg, rinfo) => this.#forward(msg, rinfo));
  }

  get plan(): ListenerPlan {
    return this.#plan;
  }

  flowCount(): number {
    return this.#flows.size;
  }

  listen(): Promise<ProxyError | undefined> {
    const { address, port } = this.#plan;
    return new Promise((resolve) => {
      const onError = (err: Error) => resolve(bindError(`UDP ${address}:${port}`, err));
      this.#socket.once('error', onError);
      this.#socket.bind(port, address, () => {
        this.#socket.off('error', onError);
        this.#socket.on('error', (err) =>
          console.error(`kedge proxy: UDP ${address}:${port}: ${String(err)}`),
        );
        this.#sweeper = setInterval(() => this.#sweep(), Math.min(this.#idleTimeoutMs, 5000));
        resolve(undefined);
      });
    });
  }

  update(plan: ListenerPlan): void {
    this.#plan = plan;
    this.balancer.setBackends(plan.backends, plan.affinityTimeoutMs);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    for (const key of [...this.#flows.keys()]) this.#endFlow(key);
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  #forward(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = this.#flows.get(key);
    if (!flow) {
      const backend = this.balancer.pick(rinfo.address);
      if (!backend) return; // no ready endpoint: drop, as a kernel without a route would
      const upstream = createSocket('udp4');
      const created: Flow = { backend, upstream, lastSeen: Date.now(), pending: [msg] };
      flow = created;
      this.#flows.set(key, flow);
      this.balancer.connectionOpened(backend);
      upstream.on('message', (reply) => {
        const f = this.#flows.get(key);
        if (f) f.lastSeen = Date.now();
        this.#socket.send(reply, rinfo.port, rinfo.address);
      });
      upstream.on('error', (err) => {
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') this.balancer.connectFailed(backend);
        this.#endFlow(key);
      });
      upstream.connect(backend.port, backend.ip, () => {
        for (const m of created.pending ?? []) upstream.send(m);
        created.pending = undefined;
      });
      return;
    }
    flow.lastSeen = Date.now();
    if (flow.pending) flow.pending.push(msg);
    else flow.upstream.send(msg);
  }

  #endFlow(key: string): void {
    const flow = this.#flows.get(key);
    if (!flow) return;
    this.#flows.delete(key);
    this.balancer.connectionClosed(flow.backend);
    flow.upstream.close();
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#idleTimeoutMs;
    for (const [key, flow] of this.#flows) if (flow.lastSeen < cutoff) this.#endFlow(key);
    this.balancer.sweepAffinity();
  }
}
