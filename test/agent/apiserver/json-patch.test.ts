// JSON patch (RFC 6902) and the JSON pointers it addresses with.
import { describe, expect, it } from 'vitest';
import {
  applyJsonPatch,
  decodeJsonPatch,
  type JsonObject,
} from '../../../agent/src/apiserver/patch/index.ts';
import { formatJsonPointer, parseJsonPointer } from '../../../agent/src/apiserver/patch/json-pointer.ts';
import { reasonOf } from './patch-fixtures.ts';

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
