// Writes beyond PUT: PATCH of every type over HTTP, and the /scale and /status subresources.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, deploymentsPath, type Harness, startHarness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('patches', () => {
  beforeAll(async () => {
    await h.call('POST', deploymentsPath, { body: deployment('patchme') });
  });
  it('applies strategic merge, merge and JSON patches', async () => {
    const smp = await h.call('PATCH', `${deploymentsPath}/patchme`, {
      raw: JSON.stringify({
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'web' }],
              containers: [{ name: 'web', image: 'nginx:1.27' }],
            },
          },
        },
      }),
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    });
    expect(smp.status).toBe(200);
    expect(smp.json.spec.template.spec.containers[0]).toMatchObject({
      name: 'web',
      image: 'nginx:1.27',
      ports: [{ containerPort: 80 }],
    });
    const merge = await h.call('PATCH', `${deploymentsPath}/patchme`, {
      raw: JSON.stringify({ metadata: { labels: { tier: 'fe' } } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(merge.json.metadata.labels).toEqual({ app: 'patchme', tier: 'fe' });
    const jsonPatch = await h.call('PATCH', `${deploymentsPath}/patchme`, {
      raw: JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 7 }]),
      headers: { 'Content-Type': 'application/json-patch+json' },
    });
    expect(jsonPatch.json.spec.replicas).toBe(7);
  });
  it('rejects unknown patch types, broken patches and failed tests without changing anything', async () => {
    const before = (await h.call('GET', `${deploymentsPath}/patchme`)).json;
    const apply = await h.call('PATCH', `${deploymentsPath}/patchme`, {
      raw: 'a: 1',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    expect(apply.status).toBe(415);
    const broken = await h.call('PATCH', `${deploymentsPath}/patchme`, {
      raw: '{',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(broken.status).toBe(400);
    const failedTest = await h.call('PATCH', `${deploymentsPath}/patchme`, {
      raw: JSON.stringify([
        { op: 'replace', path: '/spec/replicas', value: 1 },
        { op: 'test', path: '/spec/replicas', value: 9 },
      ]),
      headers: { 'Content-Type': 'application/json-patch+json' },
    });
    expect(failedTest.status).toBe(422);
    const rename = await h.call('PATCH', `${deploymentsPath}/patchme`, {
      raw: JSON.stringify({ metadata: { name: 'other' } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(rename.status).toBe(400);
    expect((await h.call('GET', `${deploymentsPath}/patchme`)).json).toEqual(before);
  });
  it('a patch carrying a stale resourceVersion conflicts', async () => {
    const reply = await h.call('PATCH', `${deploymentsPath}/patchme`, {
      raw: JSON.stringify({ metadata: { resourceVersion: '1' }, spec: { replicas: 1 } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(reply.status).toBe(409);
  });
});

describe('subresources', () => {
  beforeAll(async () => {
    await h.call('POST', deploymentsPath, { body: deployment('scaled', 2) });
  });
  it('scales with a merge patch on /scale and with GET + PUT', async () => {
    const patched = await h.call('PATCH', `${deploymentsPath}/scaled/scale`, {
      raw: '{"spec":{"replicas":5}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(patched.json).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 5 },
      status: { selector: 'app=scaled' },
    });
    const scale = (await h.call('GET', `${deploymentsPath}/scaled/scale`)).json;
    const put = await h.call('PUT', `${deploymentsPath}/scaled/scale`, {
      body: { ...scale, spec: { replicas: 3 } },
    });
    expect(put.json.spec.replicas).toBe(3);
    const stale = await h.call('PUT', `${deploymentsPath}/scaled/scale`, {
      body: { ...scale, spec: { replicas: 1 } },
    });
    expect(stale.status).toBe(409);
    const negative = await h.call('PATCH', `${deploymentsPath}/scaled/scale`, {
      raw: '{"spec":{"replicas":-1}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(negative.status).toBe(422);
    expect((await h.call('GET', `${deploymentsPath}/scaled`)).json.spec.replicas).toBe(3);
  });
  it('writes status only through /status', async () => {
    const obj = (await h.call('GET', `${deploymentsPath}/scaled`)).json;
    const status = await h.call('PUT', `${deploymentsPath}/scaled/status`, {
      body: { ...obj, spec: { ...obj.spec, replicas: 9 }, status: { replicas: 3, readyReplicas: 3 } },
    });
    expect(status.json.status.readyReplicas).toBe(3);
    expect(status.json.spec.replicas).toBe(3);
    const main = await h.call('PUT', `${deploymentsPath}/scaled`, {
      body: { ...status.json, status: { replicas: 0 } },
    });
    expect(main.json.status.readyReplicas).toBe(3);
  });
});
