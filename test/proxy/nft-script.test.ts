import {
  chainRule,
  diffScript,
  EMPTY_NFT_PLAN,
  fullScript,
  type ProxyService,
  planNft,
  type ServiceEndpoint,
} from '@kedge/proxy';
import { describe, expect, it } from 'vitest';

const web: ProxyService = {
  namespace: 'default',
  name: 'web',
  type: 'NodePort',
  clusterIP: '10.96.0.10',
  ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080 }],
  sessionAffinity: 'None',
};

function ep(ip: string, over: Partial<ServiceEndpoint> = {}): ServiceEndpoint {
  return {
    portName: 'http',
    ip,
    port: 8080,
    protocol: 'TCP',
    ready: true,
    nodeId: 'n2',
    local: false,
    ...over,
  };
}

describe('nftables plan', () => {
  it('maps the ClusterIP and NodePort to one chain over the ready endpoints only', () => {
    const plan = planNft(
      [web],
      new Map([['default/web', [ep('10.244.0.3'), ep('10.244.0.2'), ep('10.244.0.4', { ready: false })]]]),
    );
    expect(plan.serviceIps.get('10.96.0.10 . tcp . 80')).toBe('svc/default/web/tcp/80');
    expect(plan.nodePorts.get('tcp . 30080')).toBe('svc/default/web/tcp/80');
    expect(plan.chains.get('svc/default/web/tcp/80')?.backends).toEqual([
      '10.244.0.2:8080',
      '10.244.0.3:8080',
    ]);
  });

  it('prefers the node’s own endpoints, as the userspace balancer does', () => {
    const plan = planNft(
      [web],
      new Map([['default/web', [ep('10.244.0.2'), ep('10.244.1.2', { local: true })]]]),
    );
    expect(plan.chains.get('svc/default/web/tcp/80')?.backends).toEqual(['10.244.1.2:8080']);
  });

  it('skips headless Services and picks by client hash under ClientIP affinity', () => {
    const plan = planNft(
      [
        { ...web, sessionAffinity: 'ClientIP' },
        { ...web, name: 'headless', clusterIP: 'None' },
      ],
      new Map([['default/web', [ep('10.244.0.2'), ep('10.244.0.3')]]]),
    );
    expect([...plan.chains.keys()]).toEqual(['svc/default/web/tcp/80']);
    expect(chainRule(plan.chains.get('svc/default/web/tcp/80')!)).toContain('jhash ip saddr mod 2');
  });

  it('refuses at once when no endpoint is ready', () => {
    const plan = planNft([web], new Map());
    expect(chainRule(plan.chains.get('svc/default/web/tcp/80')!)).toBe('reject with tcp reset');
  });

  it('diffs touch only the chain and elements that changed, and are empty when nothing did', () => {
    const db: ProxyService = {
      ...web,
      name: 'db',
      type: 'ClusterIP',
      clusterIP: '10.96.0.11',
      ports: [{ name: 'http', protocol: 'TCP', port: 5432 }],
    };
    const before = planNft(
      [web, db],
      new Map([
        ['default/web', [ep('10.244.0.2'), ep('10.244.0.3')]],
        ['default/db', [ep('10.244.0.9')]],
      ]),
    );
    const after = planNft([web], new Map([['default/web', [ep('10.244.0.2')]]]));
    expect(diffScript(before, before)).toBe('');
    const script = diffScript(before, after).trim().split('\n');
    expect(script).toEqual([
      'flush chain ip kedge svc/default/web/tcp/80',
      'add rule ip kedge svc/default/web/tcp/80 meta l4proto tcp meta mark set meta mark | 0x00004000 dnat ip to numgen random mod 1 map { 0 : 10.244.0.2 . 8080 }',
      'delete element ip kedge service-ips { 10.96.0.11 . tcp . 5432 }',
      'delete chain ip kedge svc/default/db/tcp/5432',
    ]);
  });

  it('a full script replaces whatever table was there', () => {
    const script = fullScript(EMPTY_NFT_PLAN);
    expect(script.startsWith('add table ip kedge\ndelete table ip kedge\n')).toBe(true);
  });
});
