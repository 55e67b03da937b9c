// JSON merge patch (RFC 7386), with the bodies kubectl label and scale send.
import { describe, expect, it } from 'vitest';
import { applyMergePatch } from '../../../agent/src/apiserver/patch/index.ts';

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
