import { createSocket } from 'node:dgram';
import { Agent } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { type ProxyService, type ServiceEndpoint, ServiceProxy } from '@kedge/proxy';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../agent/gossip/cluster-fixture.ts';
import { echoBackend, fetchName, type HttpBackend, httpBackend, udpEchoBackend } from './backends.ts';

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const CLUSTER_IP = '127.0.10.1';

function service(over: Partial<ProxyService> = {}): ProxyService {
  return {
    namespace: 'default',
    name: 'web',
    type: 'ClusterIP',
    clusterIP: CLUSTER_IP,
    ports: [{ name: 'http', protocol: 'TCP', port: 0 }],
    sessionAffinity: 'None',
    ...over,
  };
}

function endpointOf(
  b: { ip: string; port: number },
  ready = true,
  local = false,
  protocol: 'TCP' | 'UDP' = 'TCP',
) {
  return { portName: 'http', ip: b.ip, port: b.port, protocol, ready, nodeId: local ? 'me' : 'other', local };
}

/** A proxy for one Service on a free port of the ClusterIP; returns it with the port. */
async function startProxy(svc: ProxyService, endpoints: ServiceEndpoint[]) {
  const proxy = new ServiceProxy({ clusterIpMode: 'loopback', nodeAddresses: [], drainMs: 5000 });
  closers.push(() => proxy.close());
  const port = await freePort(CLUSTER_IP);
  const withPort = { ...svc, ports: svc.ports.map((p) => ({ ...p, port })) };
  await proxy.setEndpoints(new Map([['default/web', endpoints]]));
  const errors = await proxy.setServices([withPort]);
  expect(errors).toEqual([]);
  return {
    proxy,
    port,
    update: (eps: ServiceEndpoint[]) => proxy.setEndpoints(new Map([['default/web', eps]])),
  };
}

async function backends(n: number, delayMs = 0): Promise<HttpBackend[]> {
  const out: HttpBackend[] = [];
  for (let i = 0; i < n; i++) {
    const b = await httpBackend(`b${i}`, `127.0.0.${21 + i}`, delayMs);
    closers.push(() => b.kill());
    out.push(b);
  }
  return out;
}

function tally(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

describe('userspace service proxy over real sockets', () => {
  it('spreads traffic over ready backends and sends nothing to an unready one', async () => {
    const [b0, b1, b2, b3] = await backends(4);
    const { port } = await startProxy(service(), [
      endpointOf(b0!),
      endpointOf(b1!),
      endpointOf(b2!),
      endpointOf(b3!, false),
    ]);
    const names = await Promise.all(Array.from({ length: 90 }, () => fetchName(CLUSTER_IP, port)));
    const counts = tally(names);
    expect(counts.b3).toBeUndefined();
    for (const b of ['b0', 'b1', 'b2']) expect(counts[b]).toBeGreaterThan(10);
  });

  it('prefers the local endpoint', async () => {
    const [b0, b1, b2] = await backends(3);
    const { port } = await startProxy(service(), [
      endpointOf(b0!),
      endpointOf(b1!, true, true),
      endpointOf(b2!),
    ]);
    const names = await Promise.all(Array.from({ length: 30 }, () => fetchName(CLUSTER_IP, port)));
    expect(tally(names)).toEqual({ b1: 30 });
  });

  it('a backend killed mid-traffic: only its in-flight requests fail, then traffic continues on the others', async () => {
    const [b0, b1] = await backends(2, 2);
    const { port } = await startProxy(service(), [endpointOf(b0!), endpointOf(b1!)]);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    closers.push(() => agent.destroy());
    const concurrency = 8;
    let failures = 0;
    let killedAt = 0;
    const after: string[] = [];
    let sent = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < 400) {
          const i = sent++;
          if (i === 150) {
            killedAt = Date.now();
            void b1!.kill();
          }
          try {
            const name = await fetchName(CLUSTER_IP, port, agent);
            if (killedAt > 0 && i >= 200) after.push(name);
          } catch {
            failures++;
          }
        }
      }),
    );
    expect(killedAt).toBeGreaterThan(0);
    expect(failures).toBeLessThanOrEqual(concurrency);
    expect(after.length).toBe(200);
    expect(new Set(after)).toEqual(new Set(['b0']));
  });

  it('drains: a connection to a removed endpoint keeps working, new ones go elsewhere', async () => {
    const a = await echoBackend('A', '127.0.0.31');
    const b = await echoBackend('B', '127.0.0.32');
    closers.push(
      () => a.server.close(),
      () => b.server.close(),
    );
    const epA = endpointOf({ ip: '127.0.0.31', port: a.port });
    const epB = endpointOf({ ip: '127.0.0.32', port: b.port });
    const { port, update } = await startProxy(service(), [epA]);
    const old = await openRaw(port);
    expect(await roundTrip(old, 'one')).toBe('A:one');
    await update([epB]);
    expect(await roundTrip(old, 'two')).toBe('A:two');
    const fresh = await openRaw(port);
    expect(await roundTrip(fresh, 'three')).toBe('B:three');
    old.destroy();
    fresh.destroy();
  });

  it('ClientIP affinity keeps a client on one backend across connections; other clients spread', async () => {
    const bs = await backends(3);
    const { port } = await startProxy(
      service({ sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 60 }),
      bs.map((b) => endpointOf(b)),
    );
    const mine = await Promise.all(
      Array.from({ length: 20 }, () => fetchName(CLUSTER_IP, port, undefined, '127.0.0.50')),
    );
    expect(new Set(mine).size).toBe(1);
    const others = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fetchName(CLUSTER_IP, port, undefined, `127.0.0.${60 + i}`)),
    );
    expect(new Set(others).size).toBeGreaterThan(1);
  });

  it('a port held by another process is bound by itself once it is free, with no further change', async () => {
    const [b0] = await backends(1);
    const port = await freePort(CLUSTER_IP);
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(port, CLUSTER_IP, r));
    const retried: string[] = [];
    const proxy = new ServiceProxy({
      clusterIpMode: 'loopback',
      nodeAddresses: [],
      drainMs: 5000,
      bindRetryMs: 50,
      onRetryErrors: (errors) => retried.push(...errors.map((e) => e.message)),
    });
    closers.push(() => proxy.close());
    await proxy.setEndpoints(new Map([['default/web', [endpointOf(b0!)]]]));
    const errors = await proxy.setServices([
      { ...service(), ports: [{ name: 'http', protocol: 'TCP', port }] },
    ]);
    expect(errors.map((e) => e.message).join()).toMatch(/EADDRINUSE|in use/i);
    await expect.poll(() => retried.length).toBeGreaterThan(0);
    await new Promise<void>((r) => squatter.close(() => r()));
    await expect.poll(() => fetchName(CLUSTER_IP, port).catch(() => ''), { timeout: 5000 }).toBe('b0');
  });

  it('UDP: datagrams reach ready backends through the proxy and replies come back', async () => {
    const u1 = await udpEchoBackend('U1', '127.0.0.41');
    const u2 = await udpEchoBackend('U2', '127.0.0.42');
    closers.push(
      () => u1.socket.close(),
      () => u2.socket.close(),
    );
    const { port } = await startProxy(service({ ports: [{ name: 'http', protocol: 'UDP', port: 0 }] }), [
      endpointOf({ ip: '127.0.0.41', port: u1.port }, true, false, 'UDP'),
      endpointOf({ ip: '127.0.0.42', port: u2.port }, false, false, 'UDP'),
    ]);
    const replies: string[] = [];
    for (let i = 0; i < 5; i++) {
      const client = createSocket('udp4');
      const reply = new Promise<string>((resolve) => client.once('message', (m) => resolve(m.toString())));
      client.send(`ping${i}`, port, CLUSTER_IP);
      replies.push(await reply);
      client.close();
    }
    expect(replies).toEqual(['U1:ping0', 'U1:ping1', 'U1:ping2', 'U1:ping3', 'U1:ping4']);
  });
});

function openRaw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: CLUSTER_IP, port }, () => resolve(s));
    s.once('error', reject);
  });
}

function roundTrip(s: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    s.once('data', (d) => resolve(d.toString()));
    s.write(text);
  });
}
