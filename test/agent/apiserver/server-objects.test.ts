// The API server's object endpoints: CRUD, YAML bodies, envelope checks, limits, selectors, collections, paging.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, deploymentsPath, type Harness, startHarness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('objects', () => {
  it('creates, gets, lists, updates and deletes', async () => {
    const created = await h.call('POST', deploymentsPath, {
      body: {
        ...deployment('web'),
        metadata: { name: 'web', labels: { app: 'web' }, creationTimestamp: null },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.metadata).toMatchObject({ name: 'web', namespace: 'default', generation: 1 });
    expect(created.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json.spec.strategy.type).toBe('RollingUpdate');

    const again = await h.call('POST', deploymentsPath, { body: deployment('web') });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'deployments.apps "web" already exists',
    });

    const got = await h.call('GET', `${deploymentsPath}/web`);
    expect(got.json.metadata.resourceVersion).toBe(created.json.metadata.resourceVersion);
    const list = await h.call('GET', `${deploymentsPath}?labelSelector=app%3Dweb`);
    expect(list.json).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1' });
    expect(list.json.items).toHaveLength(1);
    expect((await h.call('GET', `${deploymentsPath}?labelSelector=app%3Dother`)).json.items).toHaveLength(0);
    expect((await h.call('GET', '/apis/apps/v1/deployments')).json.items).toHaveLength(1);

    const stale = {
      ...got.json,
      spec: { ...got.json.spec, replicas: 4 },
      metadata: { ...got.json.metadata, resourceVersion: '1' },
    };
    const conflict = await h.call('PUT', `${deploymentsPath}/web`, { body: stale });
    expect(conflict.status).toBe(409);
    expect(conflict.json.message).toContain('Operation cannot be fulfilled on deployments.apps "web"');
    const otherUid = { ...got.json, metadata: { ...got.json.metadata, uid: 'not-this-one' } };
    expect((await h.call('PUT', `${deploymentsPath}/web`, { body: otherUid })).status).toBe(409);
    const fresh = { ...got.json, spec: { ...got.json.spec, replicas: 4 } };
    const updated = await h.call('PUT', `${deploymentsPath}/web`, { body: fresh });
    expect(updated.status).toBe(200);
    expect(updated.json.spec.replicas).toBe(4);
    expect(updated.json.metadata.generation).toBe(2);

    const deleted = await h.call('DELETE', `${deploymentsPath}/web`, {
      body: { propagationPolicy: 'Background' },
    });
    expect(deleted.status).toBe(200);
    const gone = await h.call('GET', `${deploymentsPath}/web`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({
      reason: 'NotFound',
      message: 'deployments.apps "web" not found',
      details: { group: 'apps' },
    });
  });

  it('reads YAML bodies and rejects broken ones whole', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\ndata:\n  a: "1"\n';
    const created = await h.call('POST', '/api/v1/namespaces/default/configmaps', {
      raw: yaml,
      headers: { 'Content-Type': 'application/yaml' },
    });
    expect(created.status).toBe(201);
    expect(created.json.data).toEqual({ a: '1' });
    const before = h.store.revision;
    for (const [raw, type] of [
      ['{"kind":', 'application/json'],
      ['a: [1', 'application/yaml'],
      ['a: 1\n---\nb: 2\n', 'application/yaml'],
      ['[1,2]', 'application/json'],
      ['', 'application/json'],
    ] as const) {
      const reply = await h.call('POST', '/api/v1/namespaces/default/configmaps', {
        raw,
        headers: { 'Content-Type': type },
      });
      expect(reply.status, raw).toBe(400);
      expect(reply.json.kind).toBe('Status');
    }
    expect(
      (
        await h.call('POST', '/api/v1/namespaces/default/configmaps', {
          raw: 'x',
          headers: { 'Content-Type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    expect(h.store.revision).toBe(before);
  });

  it('checks the envelope: kind, namespace, name', async () => {
    const wrongKind = await h.call('POST', '/api/v1/namespaces/default/configmaps', {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } },
    });
    expect(wrongKind.status).toBe(400);
    const wrongNs = await h.call('POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { name: 'x', namespace: 'other' } },
    });
    expect(wrongNs.json.message).toBe(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    const badName = await h.call('POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { name: 'Bad_Name' } },
    });
    expect(badName.status).toBe(422);
    expect(badName.json.details.causes[0].field).toBe('metadata.name');
    const generated = await h.call('POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { generateName: 'gen-' } },
    });
    expect(generated.json.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    const renamed = await h.call('PUT', `/api/v1/namespaces/default/configmaps/cm1`, {
      body: { metadata: { name: 'cm2' } },
    });
    expect(renamed.status).toBe(400);
  });

  it('answers unknown paths and methods with Status 404 and 405', async () => {
    const unknown = await h.call('GET', '/api/v1/namespaces/default/frobs');
    expect(unknown.json).toMatchObject({
      code: 404,
      message: 'the server could not find the requested resource',
    });
    expect((await h.call('GET', '/api/v1/namespaces/default/pods/x/scale')).status).toBe(404);
    expect((await h.call('POST', '/api/v1/pods', { body: {} })).status).toBe(405);
    expect((await h.call('PUT', deploymentsPath, { body: {} })).status).toBe(405);
    expect((await h.call('GET', '/api/v1/namespaces/default/nodes')).status).toBe(404);
  });

  it('limits bodies to 3 MiB with 413 and stays up', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024 + 10);
    const reply = await h.call('POST', '/api/v1/namespaces/default/configmaps', {
      raw: JSON.stringify({ metadata: { name: 'big' }, data: { a: big } }),
    });
    expect(reply.status).toBe(413);
    expect(reply.json.reason).toBe('RequestEntityTooLarge');
    expect((await h.call('GET', '/version')).status).toBe(200);
  });

  it('rejects bad selectors and query values as BadRequest', async () => {
    expect((await h.call('GET', `${deploymentsPath}?labelSelector=a%20in%20(`)).status).toBe(400);
    expect((await h.call('GET', `${deploymentsPath}?fieldSelector=spec.frob%3D1`)).status).toBe(400);
    expect((await h.call('GET', `${deploymentsPath}?limit=-1`)).status).toBe(400);
    expect((await h.call('GET', `${deploymentsPath}?watch=maybe`)).status).toBe(400);
  });

  it('deletes collections by label and honours dryRun', async () => {
    for (const n of ['dc1', 'dc2', 'keep']) {
      await h.call('POST', '/api/v1/namespaces/default/configmaps', {
        body: { metadata: { name: n, labels: { sweep: n === 'keep' ? 'no' : 'yes' } } },
      });
    }
    const dry = await h.call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', {
      body: { metadata: { name: 'dry' } },
    });
    expect(dry.status).toBe(201);
    expect((await h.call('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
    const dryDelete = await h.call('DELETE', '/api/v1/namespaces/default/configmaps/dc1?dryRun=All');
    expect(dryDelete.status).toBe(200);
    expect((await h.call('GET', '/api/v1/namespaces/default/configmaps/dc1')).status).toBe(200);
    const swept = await h.call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=sweep%3Dyes');
    expect(swept.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      'dc1',
      'dc2',
    ]);
    expect(
      (await h.call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=sweep')).json.items,
    ).toHaveLength(1);
  });

  it('pages lists with limit and continue', async () => {
    for (const n of ['p1', 'p2', 'p3']) {
      await h.call('POST', '/api/v1/namespaces/default/configmaps', {
        body: { metadata: { name: n, labels: { page: 'yes' } } },
      });
    }
    const first = await h.call(
      'GET',
      '/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes&limit=2',
    );
    expect(first.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      'p1',
      'p2',
    ]);
    const token = encodeURIComponent(first.json.metadata.continue);
    const second = await h.call(
      'GET',
      `/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes&limit=2&continue=${token}`,
    );
    expect(second.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['p3']);
  });
});
