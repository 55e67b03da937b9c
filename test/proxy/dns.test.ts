import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { DnsServer, DnsZone, type ProxyService, type ServiceEndpoint } from '@kedge/proxy';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const services: ProxyService[] = [
  {
    namespace: 'default',
    name: 'web',
    type: 'ClusterIP',
    clusterIP: '10.96.0.10',
    ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    sessionAffinity: 'None',
  },
  {
    namespace: 'shop',
    name: 'db',
    type: 'ClusterIP',
    clusterIP: 'None',
    ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
    sessionAffinity: 'None',
  },
];

const ep = (ip: string, ready: boolean, hostname?: string): ServiceEndpoint => ({
  portName: 'pg',
  ip,
  port: 5432,
  protocol: 'TCP',
  ready,
  nodeId: 'n1',
  local: false,
  ...(hostname ? { hostname, subdomain: 'db' } : {}),
});

const view = new Map([
  [
    'shop/db',
    [ep('10.244.1.5', true, 'db-0'), ep('10.244.2.7', true, 'db-1'), ep('10.244.3.9', false, 'db-2')],
  ],
]);

async function startDns(upstream?: { address: string; port: number }) {
  const server = new DnsServer(new DnsZone(services, view), {
    address: '127.0.0.53',
    port: 0,
    ...(upstream ? { upstream, upstreamTimeoutMs: 500 } : {}),
  });
  expect(await server.listen()).toBeUndefined();
  closers.push(() => server.close());
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.53:${server.ports().udp}`]);
  return { server, resolver };
}

describe('service DNS answered to a real resolver (node:dns)', () => {
  it('resolves a Service to its ClusterIP', async () => {
    const { resolver } = await startDns();
    expect(await resolver.resolve4('web.default.svc.cluster.local')).toEqual(['10.96.0.10']);
    expect(await resolver.resolve4('WEB.default.svc.cluster.local.')).toEqual(['10.96.0.10']);
  });

  it('resolves a headless Service to its ready pods, and each StatefulSet pod by its hostname', async () => {
    const { resolver } = await startDns();
    expect((await resolver.resolve4('db.shop.svc.cluster.local')).sort()).toEqual([
      '10.244.1.5',
      '10.244.2.7',
    ]);
    expect(await resolver.resolve4('db-1.db.shop.svc.cluster.local')).toEqual(['10.244.2.7']);
    await expect(resolver.resolve4('db-2.db.shop.svc.cluster.local')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('answers SRV for named ports', async () => {
    const { resolver } = await startDns();
    expect(await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local')).toEqual([
      expect.objectContaining({ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }),
    ]);
    const pg = await resolver.resolveSrv('_pg._tcp.db.shop.svc.cluster.local');
    expect(pg.map((r) => `${r.name}:${r.port}`).sort()).toEqual([
      'db-0.db.shop.svc.cluster.local:5432',
      'db-1.db.shop.svc.cluster.local:5432',
    ]);
  });

  it('says NXDOMAIN for unknown names in the cluster domain and NODATA for known names of another type', async () => {
    const { resolver } = await startDns();
    await expect(resolver.resolve4('nope.default.svc.cluster.local')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    await expect(resolver.resolve6('web.default.svc.cluster.local')).rejects.toMatchObject({
      code: 'ENODATA',
    });
  });

  it('forwards names outside the cluster domain to the upstream resolver; refuses them without one', async () => {
    const upstream = createSocket('udp4');
    upstream.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const reply = dnsPacket.encode({
        type: 'response',
        id: q.id ?? 0,
        flags: dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions ?? [],
        answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, data: '192.0.2.44' }],
      });
      upstream.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.54', r));
    closers.push(() => new Promise((r) => upstream.close(() => r())));
    const { resolver } = await startDns({ address: '127.0.0.54', port: upstream.address().port });
    expect(await resolver.resolve4('example.org')).toEqual(['192.0.2.44']);
    const bare = await startDns();
    await expect(bare.resolver.resolve4('example.org')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('answers over TCP too', async () => {
    const { server } = await startDns();
    const { connect } = await import('node:net');
    const sock = connect({ host: '127.0.0.53', port: server.ports().tcp });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) resolve(buf);
      });
      sock.on('error', reject);
      sock.write(
        dnsPacket.streamEncode({
          type: 'query',
          id: 7,
          questions: [{ type: 'A', name: 'web.default.svc.cluster.local' }],
        }),
      );
    });
    sock.destroy();
    const decoded = dnsPacket.streamDecode(reply);
    expect(decoded.answers?.map((a) => (a as { data: string }).data)).toEqual(['10.96.0.10']);
  });
});
