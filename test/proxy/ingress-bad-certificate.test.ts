import { IngressProxy } from '@kedge/proxy';
import { describe, expect, it } from 'vitest';

describe('IngressProxy with an unusable TLS Secret', () => {
  it('still installs the routes and reports the host whose certificate is bad', async () => {
    const proxy = new IngressProxy({ address: '127.0.0.1', httpPort: 0, httpsPort: 0 });
    const problems = proxy.update(
      [
        {
          metadata: { namespace: 'web', name: 'site' },
          spec: {
            tls: [{ hosts: ['bad.test'], secretName: 'broken' }],
            rules: [
              {
                host: 'ok.test',
                http: {
                  paths: [
                    {
                      path: '/',
                      pathType: 'Prefix',
                      backend: { service: { name: 'a', port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          },
        },
      ],
      [
        {
          namespace: 'web',
          name: 'a',
          type: 'ClusterIP',
          clusterIP: '10.96.0.9',
          ports: [{ name: '', protocol: 'TCP', port: 80 }],
          sessionAffinity: 'None',
        },
      ],
      new Map(),
      [{ namespace: 'web', name: 'broken', cert: 'not a certificate', key: 'not a key' }],
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/TLS certificate for bad\.test is unusable/);
    expect([...proxy.table.hosts.keys()]).toEqual(['ok.test']);
    await proxy.close(0);
  });
});
