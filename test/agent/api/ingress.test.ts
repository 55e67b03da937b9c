import { describe, expect, it } from 'vitest';
import { type Ingress, resolveResource, validateCreate } from '../../../agent/src/api/index.ts';

function ingress(spec: Ingress['spec']): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', namespace: 'default' },
    spec,
  };
}

describe('Ingress in the API registry', () => {
  it('resolves by plural, singular and short name to networking.k8s.io/v1, namespaced', () => {
    for (const name of ['ingresses', 'ingress', 'ing', 'ingresses.networking.k8s.io']) {
      const r = resolveResource(name);
      expect(r?.kind).toBe('Ingress');
      expect(r?.group).toBe('networking.k8s.io');
      expect(r?.version).toBe('v1');
      expect(r?.namespaced).toBe(true);
    }
  });

  it('accepts a host and path rule with a Service backend', () => {
    const ok = ingress({
      rules: [
        {
          host: 'a.example.test',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            ],
          },
        },
      ],
    });
    expect(validateCreate('networking.k8s.io/ingresses', ok)).toBeUndefined();
  });

  it('refuses a relative path, an unknown pathType, a port with both name and number, and an empty spec', () => {
    const bad = ingress({
      rules: [
        {
          host: 'a.example.test',
          http: {
            paths: [
              {
                path: 'api',
                pathType: 'Prefix',
                backend: { service: { name: 'web', port: { number: 80 } } },
              },
              {
                path: '/',
                pathType: 'Regex' as 'Prefix',
                backend: { service: { name: 'web', port: { number: 80, name: 'http' } } },
              },
            ],
          },
        },
      ],
    });
    const err = validateCreate('networking.k8s.io/ingresses', bad);
    const causes = err?.status.details?.causes?.map((c) => c.field) ?? [];
    expect(causes).toEqual(
      expect.arrayContaining([
        'spec.rules[0].http.paths[0].path',
        'spec.rules[0].http.paths[1].pathType',
        'spec.rules[0].http.paths[1].backend.service.port',
      ]),
    );
    expect(validateCreate('networking.k8s.io/ingresses', ingress({}))).toBeDefined();
  });
});
