import { describe, expect, it } from 'vitest';
import {
  formatSelector,
  labelSelectorMatches,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type Selector,
  selectorFromLabelSelector,
} from '../../../agent/src/api/index.ts';

function sel(text: string): Selector {
  const s = parseLabelSelector(text);
  if ('status' in s) throw new Error(s.message);
  return s;
}

describe('label selectors', () => {
  it('matches equality and set-based requirements with Kubernetes semantics', () => {
    const s = sel('a=b,c!=d,e in (x,y),!f,g');
    expect(matchesLabels(s, { a: 'b', e: 'x', g: '' })).toBe(true);
    expect(matchesLabels(s, { a: 'b', c: 'z', e: 'y', g: '1' })).toBe(true);
    expect(matchesLabels(s, { a: 'b', c: 'd', e: 'x', g: '1' })).toBe(false);
    expect(matchesLabels(s, { a: 'b', e: 'x', g: '1', f: 'v' })).toBe(false);
    expect(matchesLabels(s, { a: 'b', e: 'z', g: '1' })).toBe(false);
    expect(matchesLabels(s, { a: 'b', e: 'x' })).toBe(false);
    // != and notin match objects without the key.
    expect(matchesLabels(sel('tier notin (fe),env!=prod'), {})).toBe(true);
    expect(matchesLabels(sel('a==b'), { a: 'b' })).toBe(true);
    expect(matchesLabels(sel('n>3'), { n: '4' })).toBe(true);
    expect(matchesLabels(sel('n<3'), { n: '4' })).toBe(false);
    expect(matchesLabels(sel(''), undefined)).toBe(true);
    expect(matchesLabels(sel('example.com/app = web'), { 'example.com/app': 'web' })).toBe(true);
  });

  it('rejects bad syntax with BadRequest', () => {
    for (const bad of ['a in (', 'a in ()', '=b', 'a=b,', 'a b', 'Bad Key=x', 'a=b c', 'a=-x-', '!', 'n>x'])
      expect(parseLabelSelector(bad), bad).toMatchObject({ status: { reason: 'BadRequest', code: 400 } });
  });

  it('compiles the object form: nil selects nothing, {} selects everything', () => {
    expect(labelSelectorMatches(undefined, { a: 'b' })).toBe(false);
    expect(labelSelectorMatches({}, { a: 'b' })).toBe(true);
    const ls = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In' as const, values: ['fe', 'be'] },
        { key: 'legacy', operator: 'DoesNotExist' as const },
      ],
    };
    expect(labelSelectorMatches(ls, { app: 'web', tier: 'fe' })).toBe(true);
    expect(labelSelectorMatches(ls, { app: 'web', tier: 'fe', legacy: 'y' })).toBe(false);
    expect(formatSelector(selectorFromLabelSelector(ls))).toBe('app=web,!legacy,tier in (be,fe)');
    // The printed form parses back to the same selector.
    expect(sel(formatSelector(selectorFromLabelSelector(ls)))).toEqual(selectorFromLabelSelector(ls));
  });
});

describe('field selectors', () => {
  const pod = {
    metadata: { name: 'web', namespace: 'default' },
    spec: { nodeName: 'n1' },
    status: { phase: 'Running' },
  };
  const f = (text: string, supported?: string[]) => {
    const s = parseFieldSelector(text, supported);
    if ('status' in s) throw new Error(s.message);
    return s;
  };

  it('supports =, == and != on the usual fields', () => {
    expect(matchesFields(f('metadata.name=web'), pod)).toBe(true);
    expect(matchesFields(f('metadata.namespace==default,spec.nodeName=n1'), pod)).toBe(true);
    expect(matchesFields(f('status.phase!=Running'), pod)).toBe(false);
    expect(matchesFields(f('spec.nodeName='), { metadata: {}, spec: {} })).toBe(true);
    expect(matchesFields(f('metadata.name=a\\,b'), { metadata: { name: 'a,b' } })).toBe(true);
  });

  it('rejects unsupported fields and garbage', () => {
    expect(parseFieldSelector('spec.foo=x', ['spec.nodeName'])).toMatchObject({
      status: { reason: 'BadRequest', message: 'field label not supported: spec.foo' },
    });
    expect(parseFieldSelector('nonsense')).toMatchObject({ status: { reason: 'BadRequest' } });
    expect(parseFieldSelector('a=b=c')).toMatchObject({ status: { reason: 'BadRequest' } });
  });
});
