import {
  type Backend,
  Balancer,
  diffPlans,
  type ProxyService,
  planProxy,
  type ServiceEndpoint,
} from '@kedge/proxy';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../agent/gossip/seeded-random.ts';

const b = (ip: string, local = false): Backend => ({ ip, port: 80, nodeId: local ? 'me' : 'other', local });

describe('Balancer', () => {
  it('prefers local endpoints while any is healthy', () => {
    const bal = new Balancer([b('10.0.0.1'), b('10.0.0.2', true), b('10.0.0.3')], {
      random: seededRandom(1),
    });
    for (let i = 0; i < 50; i++) expect(bal.pick('1.1.1.1')?.ip).toBe('10.0.0.2');
  });

  it('power of two choices never picks the more loaded of its two draws, and spreads load evenly', () => {
    const bal = new Balancer([b('a'), b('b'), b('c'), b('d')], { random: seededRandom(2) });
    const open: Backend[] = [];
    for (let i = 0; i < 400; i++) {
      const pick = bal.pick('1.1.1.1')!;
      bal.connectionOpened(pick);
      open.push(pick);
    }
    const counts = [...bal.activeConnections().values()];
    // Random placement of 400 over 4 typically leaves a gap near 20; two choices keep it to a few.
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(6);
    // One backend hogging connections: new ones avoid it.
    for (const p of open.filter((x) => x.ip !== 'a')) bal.connectionClosed(p);
    const picks = Array.from({ length: 30 }, () => bal.pick('1.1.1.1')!.ip);
    expect(picks).not.toContain('a');
  });

  it('ejects a backend whose connect failed, for longer each time, then takes it back', () => {
    let now = 0;
    const bal = new Balancer([b('a'), b('b')], { random: seededRandom(3), now: () => now, ejectBaseMs: 100 });
    bal.connectFailed(b('a'));
    for (let i = 0; i < 20; i++) expect(bal.pick('c')?.ip).toBe('b');
    now = 100;
    bal.connectFailed(b('a')); // second failure: 200 ms
    now = 250;
    for (let i = 0; i < 20; i++) expect(bal.pick('c')?.ip).toBe('b');
    now = 301;
    const seen = new Set(Array.from({ length: 40 }, () => bal.pick('c')?.ip));
    expect(seen).toEqual(new Set(['a', 'b']));
  });

  it('when every backend is ejected it still tries them rather than refusing', () => {
    const bal = new Balancer([b('a')], { now: () => 0 });
    bal.connectFailed(b('a'));
    expect(bal.pick('c')?.ip).toBe('a');
    expect(bal.pick('c', new Set(['10.0.0.9:80', 'a:80']))).toBeUndefined();
  });

  it('ClientIP affinity pins a client to its backend until the timeout', () => {
    let now = 0;
    const bal = new Balancer([b('a'), b('b'), b('c')], {
      random: seededRandom(4),
      now: () => now,
      affinityTimeoutMs: 1000,
    });
    const first = bal.pick('192.0.2.1')!.ip;
    for (let i = 0; i < 30; i++) {
      now += 100;
      expect(bal.pick('192.0.2.1')?.ip).toBe(first);
    }
    const clients = new Set(Array.from({ length: 30 }, (_, i) => bal.pick(`192.0.2.${i + 10}`)?.ip));
    expect(clients.size).toBeGreaterThan(1);
  });

  it('a removed backend drains: it is never picked again but its connections are still counted', () => {
    const bal = new Balancer([b('a'), b('b')], { random: seededRandom(5) });
    bal.connectionOpened(b('a'));
    bal.setBackends([b('b')]);
    for (let i = 0; i < 20; i++) expect(bal.pick('c')?.ip).toBe('b');
    expect(bal.activeConnections().get('a:80')).toBe(1);
    bal.connectionClosed(b('a'));
    expect(bal.activeConnections().has('a:80')).toBe(false);
  });
});

describe('planProxy', () => {
  const svc = (over: Partial<ProxyService> = {}): ProxyService => ({
    namespace: 'default',
    name: 'web',
    type: 'ClusterIP',
    clusterIP: '127.0.10.1',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080 }],
    sessionAffinity: 'None',
    ...over,
  });
  const ep = (ip: string, ready: boolean, local = false): ServiceEndpoint => ({
    portName: 'http',
    ip,
    port: 8080,
    protocol: 'TCP',
    ready,
    nodeId: local ? 'me' : 'n2',
    local,
  });
  const view = new Map([
    ['default/web', [ep('10.0.0.1', true, true), ep('10.0.0.2', false), ep('10.0.0.3', true)]],
  ]);
  const opts = { clusterIpMode: 'loopback' as const, nodeAddresses: ['127.0.0.5'] };

  it('balances over ready endpoints only', () => {
    const plan = planProxy([svc()], view, opts);
    expect([...plan.listeners.keys()]).toEqual(['TCP/127.0.10.1/80']);
    expect(plan.listeners.get('TCP/127.0.10.1/80')?.backends.map((x) => x.ip)).toEqual([
      '10.0.0.1',
      '10.0.0.3',
    ]);
  });

  it('opens NodePorts on node addresses, and the Service port too for LoadBalancer', () => {
    expect([...planProxy([svc({ type: 'NodePort' })], view, opts).listeners.keys()]).toEqual([
      'TCP/127.0.10.1/80',
      'TCP/127.0.0.5/30080',
    ]);
    expect([...planProxy([svc({ type: 'LoadBalancer' })], view, opts).listeners.keys()]).toContain(
      'TCP/127.0.0.5/80',
    );
  });

  it('skips headless Services and, unprivileged, ClusterIPs outside loopback (saying why)', () => {
    expect(planProxy([svc({ clusterIP: 'None' })], view, opts).listeners.size).toBe(0);
    const plan = planProxy([svc({ clusterIP: '10.96.0.10' })], view, opts);
    expect(plan.listeners.size).toBe(0);
    expect(plan.skipped[0]).toMatch(/CAP_NET_ADMIN/);
    expect(
      planProxy([svc({ clusterIP: '10.96.0.10' })], view, { ...opts, clusterIpMode: 'virtual' }).listeners
        .size,
    ).toBe(1);
  });

  it('diffs plans into open, update and close', () => {
    const before = planProxy([svc()], view, opts);
    const flipped = new Map([['default/web', [ep('10.0.0.1', true, true), ep('10.0.0.2', true)]]]);
    const after = planProxy([svc({ type: 'NodePort' })], flipped, opts);
    const diff = diffPlans(before.listeners, after);
    expect(diff.open.map((l) => l.key)).toEqual(['TCP/127.0.0.5/30080']);
    expect(diff.update.map((l) => l.key)).toEqual(['TCP/127.0.10.1/80']);
    expect(diffPlans(after.listeners, planProxy([], flipped, opts)).close).toHaveLength(2);
    expect(diffPlans(after.listeners, after)).toEqual({ open: [], close: [], update: [] });
  });
});
