/**
 * Server-side field validation over HTTP: `?fieldValidation=Strict` refuses unknown and duplicate
 * fields with Kubernetes' messages and writes nothing; Warn (also the default) writes the object
 * without them and says so in `Warning` headers; Ignore writes it without them, silently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duplicateFields } from '../../../agent/src/apiserver/duplicate-fields.ts';
import { goValue, warningHeaders } from '../../../agent/src/apiserver/field-validation.ts';
import { deployment, type Harness, startHarness } from './harness.ts';

const base = '/apis/apps/v1/namespaces/default/deployments';

/** A Deployment with `containers[0].imagePullPolcy` and `spec.replica` typos (in body order). */
const withTypos = (name: string) => {
  const d = deployment(name);
  Object.assign(d.spec, { replica: 3 });
  Object.assign(d.spec.template.spec.containers[0]!, { imagePullPolcy: 'Always' });
  return d;
};
const typoErrors =
  'unknown field "spec.template.spec.containers[0].imagePullPolcy", unknown field "spec.replica"';

const warningsOf = (headers: Record<string, string | string[] | undefined>): string[] => {
  const w = headers.warning;
  // Node joins repeated response headers with ", ".
  return w === undefined ? [] : (Array.isArray(w) ? w : [w]).flatMap((v) => v.split(/, (?=299 )/));
};

describe('fieldValidation over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('Strict: a create with typos is 400 naming every unknown field, and nothing is written', async () => {
    const before = h.store.revision;
    const r = await h.call('POST', `${base}?fieldValidation=Strict`, { body: withTypos('strict') });
    expect(r.status).toBe(400);
    expect(r.json.reason).toBe('BadRequest');
    expect(r.json.message).toBe(
      `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ${typoErrors}`,
    );
    expect(h.store.revision).toBe(before);
    expect((await h.call('GET', `${base}/strict`)).status).toBe(404);
  });

  it('Strict: a valid object is created as before', async () => {
    const r = await h.call('POST', `${base}?fieldValidation=Strict`, { body: deployment('valid') });
    expect(r.status).toBe(201);
    expect(warningsOf(r.headers)).toEqual([]);
  });

  it('Strict: duplicate keys in a JSON body are refused after the unknown fields', async () => {
    const raw = JSON.stringify(deployment('dup')).replace(
      '"replicas":2',
      '"replicas":2,"bogus":1,"replicas":3',
    );
    const r = await h.call('POST', `${base}?fieldValidation=Strict`, { raw });
    expect(r.status).toBe(400);
    expect(r.json.message).toContain(
      'strict decoding error: unknown field "spec.bogus", duplicate field "spec.replicas"',
    );
  });

  it('Warn: the object is written without the unknown fields and each one is a Warning header', async () => {
    const r = await h.call('POST', `${base}?fieldValidation=Warn`, { body: withTypos('warned') });
    expect(r.status).toBe(201);
    expect(warningsOf(r.headers)).toEqual([
      '299 - "unknown field \\"spec.template.spec.containers[0].imagePullPolcy\\""',
      '299 - "unknown field \\"spec.replica\\""',
    ]);
    const stored = (await h.call('GET', `${base}/warned`)).json;
    expect(stored.spec.replica).toBeUndefined();
    expect(stored.spec.template.spec.containers[0].imagePullPolcy).toBeUndefined();
    expect(stored.spec.replicas).toBe(2);
  });

  it('Warn is the default when the parameter is absent', async () => {
    const r = await h.call('POST', base, { body: withTypos('defaulted') });
    expect(r.status).toBe(201);
    expect(warningsOf(r.headers)).toHaveLength(2);
  });

  it('Ignore: written without the unknown fields, no warnings', async () => {
    const r = await h.call('POST', `${base}?fieldValidation=Ignore`, { body: withTypos('ignored') });
    expect(r.status).toBe(201);
    expect(warningsOf(r.headers)).toEqual([]);
    expect((await h.call('GET', `${base}/ignored`)).json.spec.replica).toBeUndefined();
  });

  it('Strict: an update (PUT) with a typo is refused; dry run too', async () => {
    const current = (await h.call('GET', `${base}/valid`)).json;
    current.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    const r = await h.call('PUT', `${base}/valid?fieldValidation=Strict`, { body: current });
    expect(r.status).toBe(400);
    expect(r.json.message).toContain('unknown field "spec.template.spec.containers[0].imagePullPolcy"');
    const dry = await h.call('POST', `${base}?fieldValidation=Strict&dryRun=All`, { body: withTypos('dry') });
    expect(dry.status).toBe(400);
  });

  it('Strict: a strategic merge patch with a typo is 422 quoting the patch as Kubernetes does', async () => {
    const before = (await h.call('GET', `${base}/valid`)).json.metadata.resourceVersion;
    const r = await h.call('PATCH', `${base}/valid?fieldValidation=Strict`, {
      raw: JSON.stringify({ spec: { replica: 5 } }),
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    });
    expect(r.status).toBe(422);
    expect(r.json.reason).toBe('Invalid');
    expect(r.json.message).toBe(
      ' "" is invalid: patch: Invalid value: "map[spec:map[replica:5]]": strict decoding error: unknown field "spec.replica"',
    );
    expect(r.json.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'patch',
        message:
          'Invalid value: "map[spec:map[replica:5]]": strict decoding error: unknown field "spec.replica"',
      },
    ]);
    expect((await h.call('GET', `${base}/valid`)).json.metadata.resourceVersion).toBe(before);
  });

  it('Strict: a merge patch quotes the patched object; duplicates in the patch are reported', async () => {
    const r = await h.call('PATCH', `${base}/valid?fieldValidation=Strict`, {
      raw: '{"spec":{"replicas":3,"replicas":4}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(r.status).toBe(422);
    expect(r.json.message).toMatch(
      /^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"apps\/v1\\"/,
    );
    expect(r.json.message).toMatch(/strict decoding error: duplicate field "spec.replicas"$/);
  });

  it('Strict: a JSON patch adding an unknown field is refused', async () => {
    const r = await h.call('PATCH', `${base}/valid?fieldValidation=Strict`, {
      raw: JSON.stringify([{ op: 'add', path: '/spec/paused2', value: true }]),
      headers: { 'Content-Type': 'application/json-patch+json' },
    });
    expect(r.status).toBe(422);
    expect(r.json.message).toContain('unknown field "spec.paused2"');
  });

  it('Warn: a patch with a typo applies the rest and warns', async () => {
    const r = await h.call('PATCH', `${base}/valid`, {
      raw: JSON.stringify({ metadata: { labels: { patched: 'yes' } }, spec: { replica: 5 } }),
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    });
    expect(r.status).toBe(200);
    expect(warningsOf(r.headers)).toEqual(['299 - "unknown field \\"spec.replica\\""']);
    expect(r.json.metadata.labels.patched).toBe('yes');
    expect(r.json.spec.replica).toBeUndefined();
  });

  it('Strict: the scale subresource checks its Scale body', async () => {
    const scale = (await h.call('GET', `${base}/valid/scale`)).json;
    const r = await h.call('PUT', `${base}/valid/scale?fieldValidation=Strict`, {
      body: { ...scale, spec: { replicas: 4, replica: 4 } },
    });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe(
      'Scale in version "v1" cannot be handled as a Scale: strict decoding error: unknown field "spec.replica"',
    );
    const ok = await h.call('PATCH', `${base}/valid/scale?fieldValidation=Strict`, {
      raw: JSON.stringify({ spec: { replicas: 4 } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.spec.replicas).toBe(4);
  });

  it('checks every kind: a Service, a ConfigMap (free-form data) and a cluster-scoped PriorityClass', async () => {
    const svc = await h.call('POST', '/api/v1/namespaces/default/services?fieldValidation=Strict', {
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's' },
        spec: { ports: [{ port: 80, targetPort: 8080, nodeport: 1 }] },
      },
    });
    expect(svc.status).toBe(400);
    expect(svc.json.message).toBe(
      'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.ports[0].nodeport"',
    );
    const cm = await h.call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c' },
        data: { 'spec.replica': 'x', any: 'key' },
      },
    });
    expect(cm.status).toBe(201);
    const pc = await h.call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses?fieldValidation=Strict', {
      body: {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'p' },
        value: 1,
        globalDefualt: true,
      },
    });
    expect(pc.status).toBe(400);
    expect(pc.json.message).toContain('unknown field "globalDefualt"');
  });
});

describe('duplicateFields', () => {
  const cases: [string, string[]][] = [
    ['{"a":1,"b":2}', []],
    ['{"a":1,"a":2}', ['a']],
    ['{"spec":{"replicas":1,"x":{"replicas":2},"replicas":3}}', ['spec.replicas']],
    ['{"items":[{"n":1},{"n":1,"n":2}]}', ['items[1].n']],
    ['{"a":"{\\"a\\":1,\\"a\\":2}","s":"x,y","s":[1,[2,3]]}', ['s']],
    ['{"k\\"q":1,"k\\"q":2}', ['k"q']],
    ['[{"a":1},{"a":1}]', []],
  ];
  for (const [json, paths] of cases) {
    it(json, () => {
      JSON.parse(json); // the scanner only ever sees text JSON.parse accepted
      expect(duplicateFields(json)).toEqual(paths);
    });
  }
});

describe('messages', () => {
  it('goValue prints a decoded patch as Go prints a map (keys sorted)', () => {
    expect(goValue({ spec: { replicas: 3, a: [1, 'x', null], b: true } })).toBe(
      'map[spec:map[a:[1 x <nil>] b:true replicas:3]]',
    );
  });

  it('warningHeaders quote like Go, keep to ASCII, drop repeats and cap the count', () => {
    expect(warningHeaders(['unknown field "spec.ré"'])).toEqual([
      '299 - "unknown field \\"spec.r\\u00e9\\""',
    ]);
    const many = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const headers = warningHeaders([...many, 'w0']);
    expect(headers).toHaveLength(51);
    expect(headers.at(-1)).toBe('299 - "10 more warnings were dropped"');
  });
});
