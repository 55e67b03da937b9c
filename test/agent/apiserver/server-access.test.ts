// The API server before any object: who may call it (401/403) and what it offers (discovery, OpenAPI).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, deploymentsPath, type Harness, startHarness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

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
    const denied = await h.call('POST', deploymentsPath, { token: h.viewToken, body: deployment('x') });
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
  it('answers /openapi/v2 with an empty document and /openapi/v3 with its discovery root', async () => {
    const v2 = await h.call('GET', '/openapi/v2');
    expect(v2.status).toBe(200);
    expect(v2.text).toBe('');
    expect((await h.call('GET', '/openapi/v3')).json.paths['api/v1']).toBeDefined();
  });
});
