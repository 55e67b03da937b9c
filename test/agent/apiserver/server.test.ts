import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, type Harness, startHarness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const tableAccept =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const deploys = '/apis/apps/v1/namespaces/default/deployments';

describe('authentication and authorisation', () => {
  it('answers 401 Unauthorized without or with a wrong token, on every endpoint', async () => {
    for (const path of ['/version', '/api', '/apis', '/api/v1/namespaces/default/pods', '/nope']) {
      const missing = await h.call('GET', path, { token: null });
      expect(missing.status).toBe(401);
      expect(missing.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      expect((await h.call('GET', path, { token: 'wrong' })).status).toBe(401);
    }
  });
  it('answers 403 with Kubernetes wording for a viewer writing or reading secrets', async () => {
    const denied = await h.call('POST', deploys, { token: h.viewToken, body: deployment('x') });
    expect(denied.status).toBe(403);
    expect(denied.json.message).toBe(
      'deployments.apps is forbidden: User "viewer" cannot create resource "deployments" in API group "apps" in the namespace "default"',
    );
    const secret = await h.call('GET', '/api/v1/namespaces/default/secrets/s', { token: h.viewToken });
    expect(secret.json.message).toBe(
      'secrets "s" is forbidden: User "viewer" cannot get resource "secrets" in API group "" in the namespace "default"',
    );
    expect((await h.call('GET', '/api/v1/namespaces/default/pods', { token: h.viewToken })).status).toBe(200);
  });
});

describe('discovery', () => {
  it('serves /version, /api, /apis and resource lists with verbs, short names, categories and subresources', async () => {
    expect((await h.call('GET', '/version')).json).toMatchObject({ major: '1', minor: '33' });
    expect((await h.call('GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await h.call('GET', '/apis')).json;
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'batch', 'autoscaling', 'coordination.k8s.io']),
    );
    const apps = (await h.call('GET', '/apis/apps/v1')).json;
    const byName = Object.fromEntries(apps.resources.map((r: { name: string }) => [r.name, r]));
    expect(byName.deployments).toMatchObject({
      kind: 'Deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
    });
    expect(byName['deployments/scale']).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(byName['deployments/status'].verbs).toEqual(['get', 'patch', 'update']);
    const core = (await h.call('GET', '/api/v1')).json;
    expect(core.resources.find((r: { name: string }) => r.name === 'nodes')).toMatchObject({
      namespaced: false,
    });
    expect((await h.call('GET', '/apis/nope/v1')).status).toBe(404);
    expect((await h.call('GET', '/apis/apps')).json).toMatchObject({ kind: 'APIGroup', name: 'apps' });
  });
  it('serves aggregated discovery when asked, with its content type', async () => {
    const reply = await h.call('GET', '/apis', {
      headers: {
        Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      },
    });
    expect(reply.headers['content-type']).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    const apps = reply.json.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps');
    const d = apps.versions[0].resources.find((r: { resource: string }) => r.resource === 'deployments');
    expect(d).toMatchObject({
      scope: 'Namespaced',
      responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    });
    expect(d.subresources.map((s: { subresource: string }) => s.subresource)).toEqual(['status', 'scale']);
    const core = await h.call('GET', '/api', {
      headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' },
    });
    expect(core.json.items[0].metadata.name).toBe('');
  });
  it('answers /openapi/v2 with an empty document and /openapi/v3 with 404', async () => {
    const v2 = await h.call('GET', '/openapi/v2');
    expect(v2.status).toBe(200);
    expect(v2.text).toBe('');
    expect((await h.call('GET', '/openapi/v3')).status).toBe(404);
  });
});

describe('objects', () => {
  it('creates, gets, lists, updates and deletes', async () => {
    const created = await h.call('POST', deploys, {
      body: {
        ...deployment('web'),
        metadata: { name: 'web', labels: { app: 'web' }, creationTimestamp: null },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.metadata).toMatchObject({ name: 'web', namespace: 'default', generation: 1 });
    expect(created.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json.spec.strategy.type).toBe('RollingUpdate');

    const again = await h.call('POST', deploys, { body: deployment('web') });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'deployments.apps "web" already exists',
    });

    const got = await h.call('GET', `${deploys}/web`);
    expect(got.json.metadata.resourceVersion).toBe(created.json.metadata.resourceVersion);
    const list = await h.call('GET', `${deploys}?labelSelector=app%3Dweb`);
    expect(list.json).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1' });
    expect(list.json.items).toHaveLength(1);
    expect((await h.call('GET', `${deploys}?labelSelector=app%3Dother`)).json.items).toHaveLength(0);
    expect((await h.call('GET', '/apis/apps/v1/deployments')).json.items).toHaveLength(1);

    const stale = {
      ...got.json,
      spec: { ...got.json.spec, replicas: 4 },
      metadata: { ...got.json.metadata, resourceVersion: '1' },
    };
    const conflict = await h.call('PUT', `${deploys}/web`, { body: stale });
    expect(conflict.status).toBe(409);
    expect(conflict.json.message).toContain('Operation cannot be fulfilled on deployments.apps "web"');
    const otherUid = { ...got.json, metadata: { ...got.json.metadata, uid: 'not-this-one' } };
    expect((await h.call('PUT', `${deploys}/web`, { body: otherUid })).status).toBe(409);
    const fresh = { ...got.json, spec: { ...got.json.spec, replicas: 4 } };
    const updated = await h.call('PUT', `${deploys}/web`, { body: fresh });
    expect(updated.status).toBe(200);
    expect(updated.json.spec.replicas).toBe(4);
    expect(updated.json.metadata.generation).toBe(2);

    const deleted = await h.call('DELETE', `${deploys}/web`, { body: { propagationPolicy: 'Background' } });
    expect(deleted.status).toBe(200);
    const gone = await h.call('GET', `${deploys}/web`);
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
    expect((await h.call('PUT', deploys, { body: {} })).status).toBe(405);
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
    expect((await h.call('GET', `${deploys}?labelSelector=a%20in%20(`)).status).toBe(400);
    expect((await h.call('GET', `${deploys}?fieldSelector=spec.frob%3D1`)).status).toBe(400);
    expect((await h.call('GET', `${deploys}?limit=-1`)).status).toBe(400);
    expect((await h.call('GET', `${deploys}?watch=maybe`)).status).toBe(400);
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

describe('patches', () => {
  beforeAll(async () => {
    await h.call('POST', deploys, { body: deployment('patchme') });
  });
  it('applies strategic merge, merge and JSON patches', async () => {
    const smp = await h.call('PATCH', `${deploys}/patchme`, {
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
    const merge = await h.call('PATCH', `${deploys}/patchme`, {
      raw: JSON.stringify({ metadata: { labels: { tier: 'fe' } } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(merge.json.metadata.labels).toEqual({ app: 'patchme', tier: 'fe' });
    const jsonPatch = await h.call('PATCH', `${deploys}/patchme`, {
      raw: JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 7 }]),
      headers: { 'Content-Type': 'application/json-patch+json' },
    });
    expect(jsonPatch.json.spec.replicas).toBe(7);
  });
  it('rejects unknown patch types, broken patches and failed tests without changing anything', async () => {
    const before = (await h.call('GET', `${deploys}/patchme`)).json;
    const apply = await h.call('PATCH', `${deploys}/patchme`, {
      raw: 'a: 1',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    expect(apply.status).toBe(415);
    const broken = await h.call('PATCH', `${deploys}/patchme`, {
      raw: '{',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(broken.status).toBe(400);
    const failedTest = await h.call('PATCH', `${deploys}/patchme`, {
      raw: JSON.stringify([
        { op: 'replace', path: '/spec/replicas', value: 1 },
        { op: 'test', path: '/spec/replicas', value: 9 },
      ]),
      headers: { 'Content-Type': 'application/json-patch+json' },
    });
    expect(failedTest.status).toBe(422);
    const rename = await h.call('PATCH', `${deploys}/patchme`, {
      raw: JSON.stringify({ metadata: { name: 'other' } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(rename.status).toBe(400);
    expect((await h.call('GET', `${deploys}/patchme`)).json).toEqual(before);
  });
  it('a patch carrying a stale resourceVersion conflicts', async () => {
    const reply = await h.call('PATCH', `${deploys}/patchme`, {
      raw: JSON.stringify({ metadata: { resourceVersion: '1' }, spec: { replicas: 1 } }),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(reply.status).toBe(409);
  });
});

describe('subresources', () => {
  beforeAll(async () => {
    await h.call('POST', deploys, { body: deployment('scaled', 2) });
  });
  it('scales with a merge patch on /scale and with GET + PUT', async () => {
    const patched = await h.call('PATCH', `${deploys}/scaled/scale`, {
      raw: '{"spec":{"replicas":5}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(patched.json).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 5 },
      status: { selector: 'app=scaled' },
    });
    const scale = (await h.call('GET', `${deploys}/scaled/scale`)).json;
    const put = await h.call('PUT', `${deploys}/scaled/scale`, { body: { ...scale, spec: { replicas: 3 } } });
    expect(put.json.spec.replicas).toBe(3);
    const stale = await h.call('PUT', `${deploys}/scaled/scale`, {
      body: { ...scale, spec: { replicas: 1 } },
    });
    expect(stale.status).toBe(409);
    const negative = await h.call('PATCH', `${deploys}/scaled/scale`, {
      raw: '{"spec":{"replicas":-1}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(negative.status).toBe(422);
    expect((await h.call('GET', `${deploys}/scaled`)).json.spec.replicas).toBe(3);
  });
  it('writes status only through /status', async () => {
    const obj = (await h.call('GET', `${deploys}/scaled`)).json;
    const status = await h.call('PUT', `${deploys}/scaled/status`, {
      body: { ...obj, spec: { ...obj.spec, replicas: 9 }, status: { replicas: 3, readyReplicas: 3 } },
    });
    expect(status.json.status.readyReplicas).toBe(3);
    expect(status.json.spec.replicas).toBe(3);
    const main = await h.call('PUT', `${deploys}/scaled`, {
      body: { ...status.json, status: { replicas: 0 } },
    });
    expect(main.json.status.readyReplicas).toBe(3);
  });
});

describe('tables', () => {
  it('answers kubectl get with a Table of the kind columns', async () => {
    await h.call('POST', deploys, { body: deployment('tabled', 1) });
    const table = (await h.call('GET', deploys, { headers: { Accept: tableAccept } })).json;
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
    ]);
    const row = table.rows.find((r: { cells: unknown[] }) => r.cells[0] === 'tabled');
    expect(row.cells.slice(0, 4)).toEqual(['tabled', '0/1', 0, 0]);
    expect(row.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'tabled' } });
    expect(table.metadata.resourceVersion).toBeDefined();
    const one = (await h.call('GET', `${deploys}/tabled`, { headers: { Accept: tableAccept } })).json;
    expect(one.rows).toHaveLength(1);
    const cm = (
      await h.call('GET', '/api/v1/namespaces/default/configmaps', {
        headers: { Accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' },
      })
    ).json;
    expect(cm.apiVersion).toBe('meta.k8s.io/v1beta1');
  });
});

describe('watch', () => {
  function openWatch(
    path: string,
    accept = 'application/json',
  ): Promise<{ lines: string[]; closed: Promise<void>; stop: () => void; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const lines: string[] = [];
      let closeResolve: () => void;
      const closed = new Promise<void>((r) => {
        closeResolve = r;
      });
      const req = request(
        {
          host: '127.0.0.1',
          port: h.port,
          path,
          headers: { Authorization: `Bearer ${h.adminToken}`, Accept: accept },
        },
        (res) => {
          let buffer = '';
          res.on('data', (c: Buffer) => {
            buffer += c.toString();
            const parts = buffer.split('\n');
            buffer = parts.pop() ?? '';
            lines.push(...parts);
          });
          res.on('end', () => closeResolve());
          res.on('error', () => closeResolve());
          resolve({ lines, closed, stop: () => req.destroy(), headers: res.headers });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
  const until = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(check()).toBe(true);
  };

  it('replays from a resourceVersion, then streams live changes, filtered by field selector', async () => {
    const created = (
      await h.call('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'w1' } } })
    ).json;
    const rv = created.metadata.resourceVersion;
    await h.call('PATCH', '/api/v1/namespaces/default/configmaps/w1', {
      raw: '{"data":{"k":"1"}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const w = await openWatch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dw1`,
    );
    expect(w.headers['content-type']).toBe('application/json');
    await until(() => w.lines.length >= 1);
    expect(JSON.parse(w.lines[0]!)).toMatchObject({ type: 'MODIFIED', object: { data: { k: '1' } } });
    await h.call('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'w2' } } });
    await h.call('DELETE', '/api/v1/namespaces/default/configmaps/w1');
    await until(() => w.lines.length >= 2);
    const deleted = JSON.parse(w.lines[1]!);
    expect(deleted.type).toBe('DELETED');
    expect(Number(deleted.object.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    expect(w.lines.every((l) => JSON.parse(l).object.metadata.name === 'w1')).toBe(true);
    w.stop();
    await w.closed;
  });

  it('forwards bookmarks to watchers that allow them', async () => {
    const w = await openWatch(
      '/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=' +
        String(h.store.revision),
    );
    await until(() => h.store.watcherCount > 0);
    h.store.bookmark();
    await until(() => w.lines.length >= 1);
    expect(JSON.parse(w.lines[0]!)).toMatchObject({
      type: 'BOOKMARK',
      object: {
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(h.store.revision) },
      },
    });
    w.stop();
    await w.closed;
    await until(() => h.store.watcherCount === 0);
  });

  it('sends one-row Tables to get -w, ends at timeoutSeconds, and drops watchers that leave', async () => {
    const w = await openWatch(
      '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1',
      tableAccept,
    );
    await until(() => w.lines.length >= 1);
    const first = JSON.parse(w.lines[0]!);
    expect(first.type).toBe('ADDED');
    expect(first.object).toMatchObject({ kind: 'Table' });
    expect(first.object.rows).toHaveLength(1);
    const t0 = Date.now();
    await w.closed;
    expect(Date.now() - t0).toBeLessThan(2_000);
    await until(() => h.store.watcherCount === 0);
  });

  it('cuts off a watcher that does not read once its queue passes the limit', async () => {
    const small = await startHarness({ watchLimits: { maxTimeoutSeconds: 60, maxBufferedBytes: 64 * 1024 } });
    try {
      const ended = new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: small.port,
            path: '/api/v1/namespaces/default/configmaps?watch=true',
            headers: { Authorization: `Bearer ${small.adminToken}` },
          },
          (res) => {
            res.pause(); // a client that never reads
            res.on('close', () => resolve());
          },
        );
        req.on('error', reject);
        req.end();
      });
      await until(() => small.store.watcherCount === 1);
      const big = 'x'.repeat(256 * 1024);
      for (let i = 0; i < 40 && small.store.watcherCount > 0; i++) {
        await small.call('POST', '/api/v1/namespaces/default/configmaps', {
          body: { metadata: { name: `big-${i}` }, data: { a: big } },
        });
      }
      await until(() => small.store.watcherCount === 0);
      await ended;
    } finally {
      await small.close();
    }
  });

  it('reports a too-old resourceVersion as an ERROR event with 410 Expired, and a bad one as 400', async () => {
    const small = await startHarness({ historyCapacity: 3 });
    try {
      for (const name of ['a', 'b', 'c', 'd', 'e']) {
        await small.call('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name } } });
      }
      const expired = await small.call(
        'GET',
        '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1',
      );
      expect(expired.status).toBe(200);
      expect(JSON.parse(expired.text.split('\n')[0]!)).toMatchObject({
        type: 'ERROR',
        object: { kind: 'Status', reason: 'Expired', code: 410 },
      });
      const bad = await small.call(
        'GET',
        '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc',
      );
      expect(JSON.parse(bad.text.split('\n')[0]!)).toMatchObject({ type: 'ERROR', object: { code: 400 } });
    } finally {
      await small.close();
    }
  });
});
