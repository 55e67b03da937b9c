// applyPatch: choosing the patch type from the request's Content-Type.
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../../agent/src/apiserver/patch/index.ts';
import { reasonOf } from './patch-fixtures.ts';

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
