// Strategic merge patch: list merge keys, directives ($patch, $setElementOrder, $retainKeys,
// $deleteFromPrimitiveList) and the bodies kubectl apply, set image and rollout send.
import { describe, expect, it } from 'vitest';
import {
  applyStrategicMergePatch,
  type JsonObject,
  patchTypeFor,
} from '../../../agent/src/apiserver/patch/index.ts';
import { reasonOf } from './patch-fixtures.ts';

describe('strategic merge patch', () => {
  const podType = patchTypeFor('', 'Pod');
  const deployType = patchTypeFor('apps', 'Deployment');

  it('merges containers by name and keeps fields the patch does not name', () => {
    const pod = {
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36', args: ['a'] }] },
    };
    // kubectl 1.20 apply after changing the image and the label (kubectl-compat.md §9.1).
    const out = applyStrategicMergePatch(
      pod,
      {
        metadata: {
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
          labels: { app: 'x2' },
        },
        spec: {
          '$setElementOrder/containers': [{ name: 'c' }],
          containers: [{ image: 'busybox:1.37', name: 'c' }],
        },
      },
      podType,
    );
    expect(out).toEqual({
      metadata: {
        labels: { app: 'x2' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      },
      spec: { containers: [{ name: 'c', image: 'busybox:1.37', args: ['a'] }] },
    });
  });

  it('applies the removal body from kubectl apply exactly (containers, env, ports, labels)', () => {
    const deploy = {
      metadata: { name: 'web', labels: { app: 'web', extra: 'yes' }, annotations: { keep: '1' } },
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              {
                name: 'a',
                image: 'nginx',
                env: [
                  { name: 'X', value: '1' },
                  { name: 'Y', value: '2' },
                ],
                ports: [{ containerPort: 80 }, { containerPort: 443 }],
              },
              { name: 'b', image: 'busybox' },
            ],
          },
        },
      },
    };
    const patch = {
      metadata: {
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '…' },
        labels: { extra: null },
      },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'a' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'Y' }],
                '$setElementOrder/ports': [{ containerPort: 443 }],
                env: [{ $patch: 'delete', name: 'X' }],
                name: 'a',
                ports: [{ $patch: 'delete', containerPort: 80 }],
              },
              { $patch: 'delete', name: 'b' },
            ],
          },
        },
      },
    };
    expect(
      applyStrategicMergePatch(deploy as JsonObject, patch as unknown as JsonObject, deployType),
    ).toEqual({
      metadata: {
        name: 'web',
        labels: { app: 'web' },
        annotations: { keep: '1', 'kubectl.kubernetes.io/last-applied-configuration': '…' },
      },
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              {
                name: 'a',
                image: 'nginx',
                env: [{ name: 'Y', value: '2' }],
                ports: [{ containerPort: 443 }],
              },
            ],
          },
        },
      },
    });
  });

  it('applies set image, rollout restart, pause and resume bodies', () => {
    const deploy = {
      spec: {
        paused: true,
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'nginx', image: 'nginx:1.25' },
              { name: 'side', image: 'busybox' },
            ],
          },
        },
      },
    };
    const setImage = applyStrategicMergePatch(
      deploy,
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'nginx' }],
              containers: [{ image: 'nginx:1.27', name: 'nginx' }],
            },
          },
        },
      },
      deployType,
    );
    // `side` is server-only: it keeps its place after nginx.
    expect(setImage.spec).toEqual({
      paused: true,
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:1.27' },
            { name: 'side', image: 'busybox' },
          ],
        },
      },
    });
    const restarted = applyStrategicMergePatch(
      deploy,
      {
        spec: {
          template: {
            metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-23T14:12:28Z' } },
          },
        },
      },
      deployType,
    );
    expect(restarted).toMatchObject({
      spec: {
        template: {
          metadata: {
            labels: { app: 'web' },
            annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-23T14:12:28Z' },
          },
        },
      },
    });
    expect(applyStrategicMergePatch(deploy, { spec: { paused: null } }, deployType).spec).not.toHaveProperty(
      'paused',
    );
  });

  it('reorders by $setElementOrder and appends new items', () => {
    const pod = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    const out = applyStrategicMergePatch(
      pod,
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }],
          containers: [{ name: 'c', image: 'i' }],
        },
      },
      podType,
    );
    expect(out).toEqual({ spec: { containers: [{ name: 'c', image: 'i' }, { name: 'b' }, { name: 'a' }] } });
    const appended = applyStrategicMergePatch(pod, { spec: { containers: [{ name: 'z' }] } }, podType);
    expect(appended).toEqual({ spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'z' }] } });
  });

  it('merges volumeMounts by mountPath, volumes by name and replaces atomic lists', () => {
    const pod = {
      spec: {
        tolerations: [{ key: 'a', operator: 'Exists' }],
        volumes: [{ name: 'v1', emptyDir: {} }],
        containers: [{ name: 'c', args: ['1', '2'], volumeMounts: [{ name: 'v1', mountPath: '/a' }] }],
      },
    };
    const out = applyStrategicMergePatch(
      pod,
      {
        spec: {
          tolerations: [{ key: 'b', operator: 'Exists' }],
          volumes: [{ name: 'v2', configMap: { name: 'cm' } }],
          containers: [{ name: 'c', args: ['3'], volumeMounts: [{ name: 'v2', mountPath: '/b' }] }],
        },
      },
      podType,
    );
    expect(out).toEqual({
      spec: {
        tolerations: [{ key: 'b', operator: 'Exists' }],
        volumes: [
          { name: 'v1', emptyDir: {} },
          { name: 'v2', configMap: { name: 'cm' } },
        ],
        containers: [
          {
            name: 'c',
            args: ['3'],
            volumeMounts: [
              { name: 'v1', mountPath: '/a' },
              { name: 'v2', mountPath: '/b' },
            ],
          },
        ],
      },
    });
  });

  it('merges Service ports by port', () => {
    const svc: JsonObject = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
    const out = applyStrategicMergePatch(
      svc,
      { spec: { ports: [{ port: 80, name: 'http' }] } },
      patchTypeFor('', 'Service'),
    );
    expect(out).toEqual({ spec: { ports: [{ port: 80, targetPort: 8080, name: 'http' }, { port: 443 }] } });
  });

  it('honours $patch: replace on lists and maps and $patch: delete on maps', () => {
    const ds = {
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'a', old: '1' } },
          spec: { containers: [{ name: 'x', image: 'old' }] },
        },
      },
    };
    const undo = applyStrategicMergePatch(
      ds,
      {
        spec: {
          template: {
            metadata: { labels: { app: 'a' } },
            spec: { containers: [{ name: 'y', image: 'new' }] },
            $patch: 'replace',
          },
        },
      },
      patchTypeFor('apps', 'DaemonSet'),
    );
    expect(undo.spec).toEqual({
      selector: { matchLabels: { app: 'a' } },
      template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'y', image: 'new' }] } },
    });
    const pod = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    expect(
      applyStrategicMergePatch(
        pod,
        { spec: { containers: [{ $patch: 'replace' }, { name: 'c' }] } },
        podType,
      ),
    ).toEqual({ spec: { containers: [{ name: 'c' }] } });
    expect(
      applyStrategicMergePatch({ spec: { a: 1 }, x: 1 }, { spec: { $patch: 'delete' } }, podType),
    ).toEqual({ x: 1 });
  });

  it('clears keys outside $retainKeys (Deployment strategy switch)', () => {
    const deploy = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const out = applyStrategicMergePatch(
      deploy,
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
      deployType,
    );
    expect(out).toEqual({ spec: { strategy: { type: 'Recreate' } } });
    expect(
      reasonOf(() =>
        applyStrategicMergePatch(
          deploy,
          { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } },
          deployType,
        ),
      ),
    ).toBe('Invalid 422');
  });

  it('merges finalizers as a set and deletes with $deleteFromPrimitiveList', () => {
    const obj = { metadata: { finalizers: ['a', 'b'] } };
    expect(applyStrategicMergePatch(obj, { metadata: { finalizers: ['b', 'c'] } }, podType)).toEqual({
      metadata: { finalizers: ['a', 'b', 'c'] },
    });
    expect(
      applyStrategicMergePatch(obj, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, podType),
    ).toEqual({ metadata: { finalizers: ['b'] } });
    expect(
      applyStrategicMergePatch(obj, { metadata: { '$setElementOrder/finalizers': ['b', 'a'] } }, podType),
    ).toEqual({ metadata: { finalizers: ['b', 'a'] } });
  });

  it('resolves directives inside new items and strips nulls', () => {
    const out = applyStrategicMergePatch(
      { spec: {} },
      { spec: { containers: [{ name: 'n', env: [{ name: 'A', value: '1' }], ports: null }] } },
      podType,
    );
    expect(out).toEqual({ spec: { containers: [{ name: 'n', env: [{ name: 'A', value: '1' }] }] } });
  });

  it('rejects malformed directives as BadRequest', () => {
    expect(reasonOf(() => applyStrategicMergePatch({}, [] as never, podType))).toBe('BadRequest 400');
    expect(reasonOf(() => applyStrategicMergePatch({}, { spec: { $patch: 'frob' } }, podType))).toBe(
      'BadRequest 400',
    );
    expect(
      reasonOf(() => applyStrategicMergePatch({}, { spec: { containers: [{ image: 'x' }] } }, podType)),
    ).toBe('BadRequest 400');
    expect(reasonOf(() => applyStrategicMergePatch({}, { spec: { containers: ['x'] } }, podType))).toBe(
      'BadRequest 400',
    );
    expect(reasonOf(() => applyStrategicMergePatch({}, { spec: { $retainKeys: 'type' } }, podType))).toBe(
      'BadRequest 400',
    );
  });
});
