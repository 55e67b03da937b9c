import {
  buildRouteTable,
  certificateFor,
  matchRoute,
  type ProxyIngress,
  type ProxyService,
  type ServiceEndpoint,
} from '@kedge/proxy';
import { describe, expect, it } from 'vitest';

function svc(name: string, port = 80, portName = 'http'): ProxyService {
  return {
    namespace: 'shop',
    name,
    type: 'ClusterIP',
    clusterIP: '10.96.0.1',
    ports: [{ name: portName, protocol: 'TCP', port }],
    sessionAffinity: 'None',
  };
}

function ep(ip: string, ready = true): ServiceEndpoint {
  return { portName: 'http', ip, port: 8080, protocol: 'TCP', ready, nodeId: 'n1', local: false };
}

const backend = (name: string, number = 80) => ({ service: { name, port: { number } } });

const shop: ProxyIngress = {
  metadata: { namespace: 'shop', name: 'shop', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: {
    tls: [{ hosts: ['a.example.test'], secretName: 'a-tls' }],
    rules: [
      {
        host: 'a.example.test',
        http: {
          paths: [
            { path: '/api', pathType: 'Prefix', backend: backend('api') },
            { path: '/', pathType: 'Prefix', backend: backend('web') },
            { path: '/exact', pathType: 'Exact', backend: backend('api') },
          ],
        },
      },
      {
        host: 'B.example.test',
        http: {
          paths: [{ path: '/static', pathType: 'ImplementationSpecific', backend: backend('static') }],
        },
      },
      { host: '*.wild.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web') }] } },
    ],
  },
};

const services = [svc('api'), svc('web'), svc('static'), svc('empty')];
const view = new Map([
  ['shop/api', [ep('10.244.0.1'), ep('10.244.0.9', false)]],
  ['shop/web', [ep('10.244.0.2')]],
  ['shop/static', [ep('10.244.0.3')]],
]);
const secrets = [{ namespace: 'shop', name: 'a-tls', cert: 'CERT-A', key: 'KEY-A' }];

const target = (host: string, path: string) =>
  matchRoute(buildRouteTable([shop], services, view, secrets), host, path)?.target;

describe('ingress route table', () => {
  it('routes by host, then by the longest matching prefix', () => {
    expect(target('a.example.test', '/api/orders')).toBe('shop/api:80');
    expect(target('a.example.test', '/api')).toBe('shop/api:80');
    expect(target('a.example.test:8443', '/index.html')).toBe('shop/web:80');
    expect(target('b.example.test', '/static/app.js')).toBe('shop/static:80');
  });

  it('matches prefixes by whole path elements and Exact paths exactly', () => {
    expect(target('a.example.test', '/apifoo')).toBe('shop/web:80');
    expect(target('a.example.test', '/exact')).toBe('shop/api:80');
    expect(target('a.example.test', '/exact/more')).toBe('shop/web:80');
    expect(target('a.example.test', '/api?x=1')).toBe('shop/api:80');
  });

  it('matches a wildcard host one label deep, and nothing for unknown hosts or paths', () => {
    expect(target('x.wild.test', '/')).toBe('shop/web:80');
    expect(target('x.y.wild.test', '/')).toBeUndefined();
    expect(target('other.test', '/')).toBeUndefined();
    expect(target('b.example.test', '/other')).toBeUndefined();
  });

  it('has only ready endpoints as backends, and none when the Service is missing', () => {
    const table = buildRouteTable(
      [
        shop,
        {
          metadata: { namespace: 'shop', name: 'broken', creationTimestamp: '2024-02-01T00:00:00Z' },
          spec: {
            rules: [
              {
                host: 'c.test',
                http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('nope') }] },
              },
            ],
          },
        },
      ],
      services,
      view,
      secrets,
    );
    expect(matchRoute(table, 'a.example.test', '/api')?.backends.map((b) => b.ip)).toEqual(['10.244.0.1']);
    expect(matchRoute(table, 'c.test', '/')?.backends).toEqual([]);
    expect(table.problems.join('\n')).toContain('shop/nope:80 does not exist');
  });

  it('uses the default backend when no rule matches, and the oldest Ingress wins a conflict', () => {
    const newer: ProxyIngress = {
      metadata: { namespace: 'shop', name: 'newer', creationTimestamp: '2025-01-01T00:00:00Z' },
      spec: {
        defaultBackend: backend('static'),
        rules: [
          {
            host: 'a.example.test',
            http: { paths: [{ path: '/api', pathType: 'Prefix', backend: backend('web') }] },
          },
        ],
      },
    };
    const table = buildRouteTable([newer, shop], services, view, secrets);
    expect(matchRoute(table, 'a.example.test', '/api')?.ingress).toBe('shop/shop');
    expect(matchRoute(table, 'unknown.test', '/')?.target).toBe('shop/static:80');
  });

  it('finds the certificate per host and reports a missing secret', () => {
    const table = buildRouteTable([shop], services, view, secrets);
    expect(certificateFor(table, 'A.example.test')?.cert).toBe('CERT-A');
    expect(certificateFor(table, 'b.example.test')).toBeUndefined();
    const without = buildRouteTable([shop], services, view, []);
    expect(without.problems.join('\n')).toContain('TLS secret shop/a-tls not found');
  });
});
