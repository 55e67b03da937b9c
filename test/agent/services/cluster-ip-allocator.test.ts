import { describe, expect, it } from 'vitest';
import { ClusterIpAllocator } from '../../../agent/src/services/cluster-ip-allocator.ts';
import { ServiceIpError } from '../../../agent/src/services/service-ip-error.ts';

function allocator(cidr = '10.96.0.0/16'): ClusterIpAllocator {
  const a = ClusterIpAllocator.create(cidr);
  if (a instanceof ServiceIpError) throw a;
  return a;
}

function ok(v: string | ServiceIpError): string {
  if (v instanceof ServiceIpError) throw v;
  return v;
}

describe('ClusterIP allocation', () => {
  it('gives each Service its own address in the range, and the same one when asked again', () => {
    const a = allocator();
    const web = ok(a.allocate('default/web'));
    const db = ok(a.allocate('default/db'));
    expect(web).not.toBe(db);
    expect(web).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(a.allocate('default/web')).toBe(web);
    expect(a.used()).toBe(2);
    expect(a.holder(db)).toBe('default/db');
  });

  it('honours a requested address and refuses one another Service holds', () => {
    const a = allocator();
    expect(a.allocate('kube-system/dns', '10.96.0.10')).toBe('10.96.0.10');
    const taken = a.allocate('default/other', '10.96.0.10');
    expect(taken).toBeInstanceOf(ServiceIpError);
    expect((taken as ServiceIpError).kind).toBe('Conflict');
    expect((taken as ServiceIpError).message).toContain('kube-system/dns');
  });

  it('refuses to change the address a Service holds', () => {
    const a = allocator();
    ok(a.allocate('default/web', '10.96.1.1'));
    expect((a.allocate('default/web', '10.96.1.2') as ServiceIpError).kind).toBe('Conflict');
  });

  it('refuses addresses outside the range and the network and broadcast addresses', () => {
    const a = allocator('10.96.0.0/24');
    for (const ip of ['10.97.0.5', '10.96.0.0', '10.96.0.255', 'not-an-ip'])
      expect((a.allocate(`default/${ip}`, ip) as ServiceIpError).kind).toBe('Invalid');
  });

  it('allocates nothing for a headless Service', () => {
    const a = allocator();
    expect(a.allocate('default/headless', 'None')).toBe('None');
    expect(a.used()).toBe(0);
  });

  it('hands out dynamic addresses above the static band so low requested ones stay free', () => {
    const a = allocator('10.96.0.0/24'); // static band: the first 16 addresses
    const ip = ok(a.allocate('default/web'));
    expect(Number(ip.split('.')[3])).toBeGreaterThanOrEqual(16);
  });

  it('never hands out an address twice, uses every usable one, then reports exhaustion', () => {
    const a = allocator('10.96.0.0/27'); // 30 usable
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add(ok(a.allocate(`default/s${i}`)));
    expect(seen.size).toBe(30);
    expect(seen.has('10.96.0.0')).toBe(false);
    expect(seen.has('10.96.0.31')).toBe(false);
    const full = a.allocate('default/one-more') as ServiceIpError;
    expect(full.kind).toBe('Exhausted');
    expect(a.free()).toBe(0);
  });

  it('releases on delete, and does not reuse the released address at once', () => {
    const a = allocator('10.96.0.0/24');
    const first = ok(a.allocate('default/a'));
    expect(a.release('default/a')).toBe(first);
    expect(a.release('default/a')).toBeUndefined();
    expect(a.holder(first)).toBeUndefined();
    expect(ok(a.allocate('default/b'))).not.toBe(first);
    // ...but it is free again: a request for it succeeds.
    expect(a.allocate('default/c', first)).toBe(first);
  });

  it('rebuilds from stored Services without handing out their addresses again', () => {
    const stored = [
      { service: 'default/a', clusterIP: '10.96.0.20' },
      { service: 'default/b', clusterIP: '10.96.0.21' },
      { service: 'default/headless', clusterIP: 'None' },
      { service: 'default/dup', clusterIP: '10.96.0.20' },
      { service: 'default/outside', clusterIP: '10.1.0.1' },
    ];
    const rebuilt = ClusterIpAllocator.fromServices('10.96.0.0/27', stored);
    if (rebuilt instanceof ServiceIpError) throw rebuilt;
    const { allocator: a, problems } = rebuilt;
    expect(problems.map((p) => p.kind).sort()).toEqual(['Conflict', 'Invalid']);
    expect(a.allocate('default/a')).toBe('10.96.0.20');
    for (let i = 0; i < 28; i++) {
      const ip = ok(a.allocate(`default/n${i}`));
      expect(['10.96.0.20', '10.96.0.21']).not.toContain(ip);
    }
    expect((a.allocate('default/last') as ServiceIpError).kind).toBe('Exhausted');
  });

  it('rejects ranges that are not CIDRs, have host bits set, or are too large or small', () => {
    for (const cidr of ['10.96.0.0', '10.96.0.1/16', '10.0.0.0/8', '10.96.0.0/31', '300.1.1.0/24'])
      expect(ClusterIpAllocator.create(cidr)).toBeInstanceOf(ServiceIpError);
    expect((ClusterIpAllocator.create('10.96.0.1/16') as ServiceIpError).message).toContain('10.96.0.0/16');
  });
});
