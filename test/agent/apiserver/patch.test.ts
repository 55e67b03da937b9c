import { describe, expect, it } from 'vitest';
import {
  applyJsonPatch,
  applyMergePatch,
  applyPatch,
  applyStrategicMergePatch,
  decodeJsonPatch,
  type JsonObject,
  patchTypeFor,
} from '../../../agent/src/apiserver/patch/index.ts';
import { formatJsonPointer, parseJsonPointer } from '../../../agent/src/apiserver/patch/json-pointer.ts';
import { isStatusError } from '../../../agent/src/apiserver/status.ts';

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isStatusError(error)) return `${error.reason} ${error.code}`;
    throw error;
  }
  return 'no error';
}

describe('JSON pointer', () => {
  it('unescapes ~1 and ~0 in that order', () => {
    expect(parseJsonPointer('/a/b~1c/~0d/~01')).toEqual(['a', 'b/c', '~d', '~1']);
    expect(parseJsonPointer('')).toEqual([]);
    expect(formatJsonPointer(['a', 'b/c', '~d'])).toBe('/a/b~1c/~0d');
  });
  it('rejects pointers without a leading slash and bad escapes', () => {
    expect(reasonOf(() => parseJsonPointer('a/b'))).toBe('BadRequest 400');
    expect(reasonOf(() => parseJsonPointer('/a~2'))).toBe('BadRequest 400');
  });
});

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { labels: { app: 'web' }, annotations: { 'a/b': 'x' } }, list: [1, 2, 3] };
  const apply = (ops: unknown) => applyJsonPatch(doc, decodeJsonPatch(ops));

  it('adds, removes and replaces members and array items', () => {
    expect(
      apply([
        { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
        { op: 'add', path: '/list/1', value: 9 },
        { op: 'add', path: '/list/-', value: 4 },
        { op: 'remove', path: '/list/0' },
        { op: 'replace', path: '/metadata/annotations/a~1b', value: 'y' },
      ]),
    ).toEqual({
      metadata: { labels: { app: 'web', tier: 'fe' }, annotations: { 'a/b': 'y' } },
      list: [9, 2, 3, 4],
    });
  });
  it('moves, copies and tests', () => {
    expect(
      apply([
        { op: 'copy', from: '/metadata/labels', path: '/copied' },
        { op: 'move', from: '/list', path: '/moved' },
        { op: 'test', path: '/moved/2', value: 3 },
        { op: 'test', path: '/copied', value: { app: 'web' } },
      ]),
    ).toEqual({ metadata: doc.metadata, copied: { app: 'web' }, moved: [1, 2, 3] });
  });
  it('replaces the whole document with the empty path', () => {
    expect(apply([{ op: 'replace', path: '', value: { a: 1 } }])).toEqual({ a: 1 });
  });
  it('is atomic: a failing operation leaves the original untouched and reports Invalid', () => {
    const original = structuredClone(doc);
    expect(
      reasonOf(() =>
        apply([
          { op: 'add', path: '/metadata/labels/x', value: '1' },
          { op: 'test', path: '/list/0', value: 7 },
        ]),
      ),
    ).toBe('Invalid 422');
    expect(doc).toEqual(original);
  });
  it('reports missing paths, bad indexes and moving into a child as Invalid', () => {
    expect(reasonOf(() => apply([{ op: 'remove', path: '/nope' }]))).toBe('Invalid 422');
    expect(reasonOf(() => apply([{ op: 'replace', path: '/list/3', value: 1 }]))).toBe('Invalid 422');
    expect(reasonOf(() => apply([{ op: 'add', path: '/list/5', value: 1 }]))).toBe('Invalid 422');
    expect(reasonOf(() => apply([{ op: 'add', path: '/list/01', value: 1 }]))).toBe('Invalid 422');
    expect(reasonOf(() => apply([{ op: 'add', path: '/a/b', value: 1 }]))).toBe('Invalid 422');
    expect(reasonOf(() => apply([{ op: 'move', from: '/metadata', path: '/metadata/x' }]))).toBe(
      'Invalid 422',
    );
  });
  it('reports malformed documents as BadRequest with the operation named', () => {
    expect(reasonOf(() => decodeJsonPatch({ op: 'add' }))).toBe('BadRequest 400');
    expect(reasonOf(() => decodeJsonPatch([{ op: 'frob', path: '/a' }]))).toBe('BadRequest 400');
    expect(reasonOf(() => decodeJsonPatch([{ op: 'add', path: '/a' }]))).toBe('BadRequest 400');
    expect(reasonOf(() => decodeJsonPatch([{ op: 'move', path: '/a' }]))).toBe('BadRequest 400');
    expect(() => decodeJsonPatch([1])).toThrow(/operation 0 must be an object/);
  });
  it('applies the rollout undo body kubectl sends', () => {
    const deploy = {
      metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '3' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } },
    };
    const template = {
      metadata: { creationTimestamp: null, labels: { app: 'web' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', resources: {} }] },
    };
    const out = applyJsonPatch(
      deploy,
      decodeJsonPatch([
        { op: 'replace', path: '/spec/template', value: template },
        { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '2' } },
      ]),
    ) as JsonObject;
    expect(out).toEqual({
      metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: { replicas: 2, template },
    });
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('follows the RFC 7386 examples', () => {
    const cases: [unknown, unknown, unknown][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [
        ['a', 'b'],
        ['c', 'd'],
        ['c', 'd'],
      ],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, result] of cases) {
      expect(applyMergePatch(target as never, patch as never)).toEqual(result);
    }
  });
  it('applies kubectl label and scale bodies', () => {
    const pod = { metadata: { name: 'x', labels: { app: 'x' } }, spec: { replicas: 1 } };
    expect(applyMergePatch(pod, { metadata: { labels: { tier: 'fe' } } })).toEqual({
      metadata: { name: 'x', labels: { app: 'x', tier: 'fe' } },
      spec: { replicas: 1 },
    });
    expect(applyMergePatch(pod, { spec: { replicas: 5 } })).toMatchObject({ spec: { replicas: 5 } });
    expect(pod.spec.replicas).toBe(1);
  });
});

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

describe('applyPatch by Content-Type', () => {
  const deploy = { metadata: { name: 'web' }, spec: { replicas: 1 } };
  it('dispatches on the media type, ignoring parameters', () => {
    expect(
      applyPatch(
        'application/merge-patch+json; charset=utf-8',
        deploy,
        { spec: { replicas: 3 } },
        'apps',
        'Deployment',
      ),
    ).toMatchObject({ spec: { replicas: 3 } });
    expect(
      applyPatch(
        'application/json-patch+json',
        deploy,
        [{ op: 'replace', path: '/spec/replicas', value: 4 }],
        'apps',
        'Deployment',
      ),
    ).toMatchObject({ spec: { replicas: 4 } });
    expect(
      applyPatch(
        'application/strategic-merge-patch+json',
        deploy,
        { spec: { replicas: 5 } },
        'apps',
        'Deployment',
      ),
    ).toMatchObject({ spec: { replicas: 5 } });
  });
  it('answers 415 for server-side apply and unknown types', () => {
    expect(reasonOf(() => applyPatch('application/apply-patch+yaml', deploy, {}, 'apps', 'Deployment'))).toBe(
      'UnsupportedMediaType 415',
    );
    expect(reasonOf(() => applyPatch('text/plain', deploy, {}, 'apps', 'Deployment'))).toBe(
      'UnsupportedMediaType 415',
    );
  });
  it('rejects a JSON patch that turns the object into a non-object', () => {
    expect(
      reasonOf(() =>
        applyPatch('application/json-patch+json', deploy, [{ op: 'replace', path: '', value: 1 }], '', 'Pod'),
      ),
    ).toBe('Invalid 422');
  });
});
