import { describe, expect, it } from 'vitest';
import {
  type Ingress,
  resolveResource,
  validateCreate,
  validateUpdate,
} from '../../../agent/src/api/index.ts';

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

describe('IngressClass in the API registry', () => {
  const cls = (spec: Record<string, unknown>) =>
    ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'kedge' },
      spec,
    }) as unknown as Ingress;

  it('resolves to networking.k8s.io/v1, cluster-scoped', () => {
    const r = resolveResource('ingressclasses');
    expect(r?.kind).toBe('IngressClass');
    expect(r?.namespaced).toBe(false);
  });

  it("accepts kedge's controller and refuses a missing or undomained controller and half-named parameters", () => {
    expect(
      validateCreate('networking.k8s.io/ingressclasses', cls({ controller: 'kedge.io/ingress-controller' })),
    ).toBeUndefined();
    expect(validateCreate('networking.k8s.io/ingressclasses', cls({}))?.message).toMatch(
      /spec\.controller: Required value/,
    );
    const bad = validateCreate(
      'networking.k8s.io/ingressclasses',
      cls({ controller: 'nginx', parameters: { kind: 'X', scope: 'Namespace' } }),
    )?.message;
    expect(bad).toMatch(/spec\.controller: Invalid value: "nginx": must be a domain-prefixed path/);
    expect(bad).toMatch(/spec\.parameters\.name: Required value/);
    expect(bad).toMatch(/spec\.parameters\.namespace: Required value/);
  });

  it('keeps spec.controller immutable', () => {
    const old = {
      ...cls({ controller: 'kedge.io/ingress-controller' }),
      metadata: { name: 'kedge', uid: 'u', resourceVersion: '1' },
    };
    const next = { ...old, spec: { controller: 'example.com/other' } } as unknown as Ingress;
    expect(validateUpdate('networking.k8s.io/ingressclasses', next, old)?.message).toMatch(
      /spec\.controller: Invalid value: "example\.com\/other": field is immutable/,
    );
  });
});
