import { describe, expect, it } from 'vitest';
import { negotiate } from '../../../agent/src/apiserver/request/media-types.ts';
import { parseQuery } from '../../../agent/src/apiserver/request/query.ts';
import { parseRoute, type ResourceRoute, verbOf } from '../../../agent/src/apiserver/request/route.ts';

const resource = (path: string): ResourceRoute => {
  const route = parseRoute(path);
  if (route.kind !== 'resource') throw new Error(`${path} is ${route.kind}`);
  return route;
};

describe('routes', () => {
  it('parses discovery and server paths', () => {
    expect(parseRoute('/version')).toEqual({ kind: 'version' });
    expect(parseRoute('/healthz')).toEqual({ kind: 'health', check: 'healthz' });
    expect(parseRoute('/api')).toEqual({ kind: 'apiVersions' });
    expect(parseRoute('/api/')).toEqual({ kind: 'apiVersions' });
    expect(parseRoute('/apis')).toEqual({ kind: 'apiGroupList' });
    expect(parseRoute('/apis/apps')).toEqual({ kind: 'apiGroup', group: 'apps' });
    expect(parseRoute('/api/v1')).toEqual({ kind: 'apiResourceList', group: '', version: 'v1' });
    expect(parseRoute('/apis/apps/v1')).toEqual({ kind: 'apiResourceList', group: 'apps', version: 'v1' });
    expect(parseRoute('/openapi/v2')).toEqual({ kind: 'openapiV2' });
    expect(parseRoute('/openapi/v3/apis/apps/v1')).toEqual({
      kind: 'openapiV3',
      groupVersion: 'apis/apps/v1',
    });
    expect(parseRoute('/')).toEqual({ kind: 'unknown' });
    expect(parseRoute('/swagger-2.0.0.pb-v1')).toEqual({ kind: 'unknown' });
    expect(parseRoute('/api/v1/%E0%A4%A')).toEqual({ kind: 'unknown' });
  });
  it('parses namespaced, cluster-wide and subresource paths', () => {
    expect(resource('/api/v1/namespaces/default/pods')).toMatchObject({
      group: '',
      resource: 'pods',
      namespace: 'default',
      name: '',
    });
    expect(resource('/api/v1/namespaces/default/pods/x/status')).toMatchObject({
      name: 'x',
      subresource: 'status',
    });
    expect(resource('/apis/apps/v1/namespaces/ns/deployments/web/scale')).toMatchObject({
      group: 'apps',
      version: 'v1',
      resource: 'deployments',
      namespace: 'ns',
      name: 'web',
      subresource: 'scale',
    });
    expect(resource('/api/v1/pods')).toMatchObject({ resource: 'pods', namespace: '' });
    expect(resource('/api/v1/nodes/n1')).toMatchObject({ resource: 'nodes', name: 'n1', namespace: '' });
    expect(resource('/api/v1/watch/namespaces/a/pods')).toMatchObject({ watchPath: true, namespace: 'a' });
    expect(parseRoute('/api/v1/namespaces/a/pods/x/log/extra')).toEqual({ kind: 'unknown' });
  });
  it('treats /namespaces/{name}[/status|/finalize] as the Namespace object', () => {
    expect(resource('/api/v1/namespaces')).toMatchObject({ resource: 'namespaces', name: '' });
    expect(resource('/api/v1/namespaces/team')).toMatchObject({
      resource: 'namespaces',
      name: 'team',
      namespace: '',
    });
    expect(resource('/api/v1/namespaces/team/status')).toMatchObject({
      resource: 'namespaces',
      name: 'team',
      subresource: 'status',
    });
    expect(resource('/api/v1/namespaces/team/finalize')).toMatchObject({
      resource: 'namespaces',
      subresource: 'finalize',
    });
    expect(resource('/api/v1/namespaces/team/configmaps')).toMatchObject({
      resource: 'configmaps',
      namespace: 'team',
    });
  });
  it('maps methods to verbs', () => {
    const collection = resource('/api/v1/namespaces/a/pods');
    const one = resource('/api/v1/namespaces/a/pods/x');
    expect(verbOf('GET', collection, false)).toBe('list');
    expect(verbOf('GET', collection, true)).toBe('watch');
    expect(verbOf('GET', one, false)).toBe('get');
    expect(verbOf('POST', collection, false)).toBe('create');
    expect(verbOf('POST', one, false)).toBeUndefined();
    expect(verbOf('PUT', one, false)).toBe('update');
    expect(verbOf('PUT', collection, false)).toBeUndefined();
    expect(verbOf('PATCH', one, false)).toBe('patch');
    expect(verbOf('DELETE', one, false)).toBe('delete');
    expect(verbOf('DELETE', collection, false)).toBe('deletecollection');
    expect(verbOf('TRACE', one, false)).toBeUndefined();
  });
});

describe('query parameters', () => {
  it('reads what kubectl sends', () => {
    const q = parseQuery(
      new URLSearchParams(
        'allowWatchBookmarks=true&fieldSelector=metadata.name%3Dweb&resourceVersion=1004&timeoutSeconds=405&watch=true&limit=500&dryRun=All&propagationPolicy=Background&fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
      ),
    );
    expect(q).toMatchObject({
      watch: true,
      allowWatchBookmarks: true,
      fieldSelector: 'metadata.name=web',
      resourceVersion: '1004',
      timeoutSeconds: 405,
      limit: 500,
      dryRun: true,
      propagationPolicy: 'Background',
      fieldManager: 'kubectl-client-side-apply',
      fieldValidation: 'Strict',
    });
    expect(parseQuery(new URLSearchParams('watch=1')).watch).toBe(true);
    expect(parseQuery(new URLSearchParams('')).watch).toBe(false);
  });
  it('rejects malformed values as BadRequest', () => {
    for (const bad of [
      'limit=x',
      'limit=-1',
      'timeoutSeconds=1.5',
      'watch=yes',
      'dryRun=Some',
      'propagationPolicy=Now',
      'fieldValidation=Loose',
    ]) {
      expect(() => parseQuery(new URLSearchParams(bad)), bad).toThrow(
        expect.objectContaining({ reason: 'BadRequest' }),
      );
    }
  });
});

describe('content negotiation', () => {
  it('finds Table and aggregated discovery requests in kubectl Accept headers', () => {
    expect(
      negotiate(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).toEqual({
      table: 'v1',
      aggregatedDiscovery: undefined,
    });
    expect(negotiate('application/json;as=Table;v=v1beta1;g=meta.k8s.io')).toMatchObject({
      table: 'v1beta1',
    });
    expect(
      negotiate(
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
      ),
    ).toEqual({ table: undefined, aggregatedDiscovery: 'v2' });
    expect(negotiate('application/vnd.kubernetes.protobuf,application/json')).toEqual({
      table: undefined,
      aggregatedDiscovery: undefined,
    });
    expect(negotiate(undefined)).toEqual({ table: undefined, aggregatedDiscovery: undefined });
  });
});
