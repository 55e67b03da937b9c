import { describe, expect, it } from 'vitest';
import { patchTypeFor } from '../../agent/src/apiserver/patch/merge-keys.ts';
import { applyStrategicMergePatch } from '../../agent/src/apiserver/patch/strategic-merge-patch.ts';
import { lastAppliedOf, withLastApplied } from '../../cli/src/apply/last-applied.ts';
import { threeWayMergePatch } from '../../cli/src/apply/three-way.ts';

// biome-ignore lint/suspicious/noExplicitAny: fixtures are free-form JSON
type J = any;
const deployType = patchTypeFor('apps', 'Deployment');

const config = (containers: J[], labels: Record<string, string> = { app: 'web' }): J => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels },
  spec: { replicas: 2, template: { spec: { containers } } },
});

/** What the server holds after applying `applied`: its defaults and status on top. */
function live(applied: J): J {
  const o = structuredClone(withLastApplied(applied)) as J;
  o.metadata.uid = 'u1';
  o.metadata.labels = { ...o.metadata.labels, 'added-by': 'someone-else' };
  o.spec.revisionHistoryLimit = 10;
  for (const c of o.spec.template.spec.containers) c.terminationMessagePath = '/dev/termination-log';
  o.status = { replicas: 2 };
  return o;
}

/** Runs kubectl's apply: patch from (last-applied, new file, live), applied by the server's SMP. */
function apply(current: J, next: J): { patch: J; result: J } {
  const modified = withLastApplied(next) as J;
  const patch = threeWayMergePatch(lastAppliedOf(current) as J, modified, current, deployType);
  return { patch, result: applyStrategicMergePatch(current, patch, deployType) };
}

describe('three-way apply patch', () => {
  it('is empty when the file did not change, so apply prints "unchanged"', () => {
    const file = config([{ name: 'a', image: 'x:1' }]);
    expect(apply(live(file), file).patch).toEqual({});
  });

  it('changes an image inside a keyed list without touching server defaults or other writers', () => {
    const file = config([{ name: 'a', image: 'x:1' }]);
    const { patch, result } = apply(live(file), config([{ name: 'a', image: 'x:2' }]));
    expect(patch.spec.template.spec.containers).toEqual([{ name: 'a', image: 'x:2' }]);
    expect(patch.spec.template.spec['$setElementOrder/containers']).toEqual([{ name: 'a' }]);
    expect(result.spec.template.spec.containers[0]).toEqual({
      name: 'a',
      image: 'x:2',
      terminationMessagePath: '/dev/termination-log',
    });
    expect(result.metadata.labels).toEqual({ app: 'web', 'added-by': 'someone-else' });
    expect(result.status).toEqual({ replicas: 2 });
    expect(lastAppliedOf(result)?.spec).toEqual(config([{ name: 'a', image: 'x:2' }]).spec);
  });

  it('deletes what the file dropped: a container, an env var, a port and a label', () => {
    const before = config(
      [
        {
          name: 'a',
          image: 'x',
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
          ],
          ports: [{ containerPort: 80 }, { containerPort: 443 }],
        },
        { name: 'b', image: 'y' },
      ],
      { app: 'web', extra: 'yes' },
    );
    const after = config([
      { name: 'a', image: 'x', env: [{ name: 'Y', value: '2' }], ports: [{ containerPort: 443 }] },
    ]);
    const { patch, result } = apply(live(before), after);
    expect(patch.metadata.labels).toEqual({ extra: null });
    expect(result.metadata.labels).toEqual({ app: 'web', 'added-by': 'someone-else' });
    expect(result.spec.template.spec.containers).toEqual([
      {
        name: 'a',
        image: 'x',
        env: [{ name: 'Y', value: '2' }],
        ports: [{ containerPort: 443 }],
        terminationMessagePath: '/dev/termination-log',
      },
    ]);
  });

  it('adds a container in file order and replaces atomic lists (args) whole', () => {
    const before = config([{ name: 'a', image: 'x', args: ['-v', '1'] }]);
    const after = config([
      { name: 'z', image: 'z' },
      { name: 'a', image: 'x', args: ['-q'] },
    ]);
    const { result } = apply(live(before), after);
    expect(result.spec.template.spec.containers.map((c: J) => c.name)).toEqual(['z', 'a']);
    expect(result.spec.template.spec.containers[1].args).toEqual(['-q']);
  });

  it('leaves fields alone that were never applied, even when the file omits them', () => {
    const file = config([{ name: 'a', image: 'x' }]);
    const current = live(file);
    current.spec.paused = true; // set by `rollout pause`, not by the file
    expect(apply(current, file).patch).toEqual({});
  });
});
