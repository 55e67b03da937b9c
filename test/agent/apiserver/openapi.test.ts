/**
 * The OpenAPI v3 documents: shaped as Kubernetes publishes them (discovery root, one document per
 * group-version, components with GVKs, resolvable $refs, PATCH operations with fieldValidation)
 * and complete (every served kind, every field of its field schema); and served over HTTP with
 * kube-openapi's ETag, hash and content negotiation rules behind the usual authentication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../agent/src/api/registry.ts';
import type { Schema } from '../../../agent/src/api/schema/builder.ts';
import { schemaForKind } from '../../../agent/src/api/schema/kinds.ts';
import {
  definitionPrefix,
  groupVersionPath,
  openApiV3,
} from '../../../agent/src/apiserver/openapi/documents.ts';
import { type Harness, startHarness } from './harness.ts';

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are read by path
type Json = any;

const docs = openApiV3(RESOURCES);
const parsed = new Map([...docs.groupVersions].map(([path, doc]) => [path, JSON.parse(doc.json) as Json]));
const docOf = (group: string, version: string): Json => parsed.get(groupVersionPath(group, version));

/** Follows `$ref` and single-`allOf` wrappers to the schema they stand for. */
function resolve(doc: Json, schema: Json): Json {
  if (schema?.$ref !== undefined)
    return resolve(doc, doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
  if (Array.isArray(schema?.allOf) && schema.allOf.length === 1) return resolve(doc, schema.allOf[0]);
  return schema;
}

/** Every `$ref` anywhere below a value. */
function refs(value: Json, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  return out;
}

/** Walks a field schema alongside its OpenAPI form; returns the paths where they disagree. */
function mismatches(doc: Json, field: Schema, openapi: Json, path: string, seen: Set<Schema>): string[] {
  const s = resolve(doc, openapi);
  if (s === undefined) return [`${path}: missing`];
  switch (field.kind) {
    case 'leaf': {
      const types = s.oneOf ? s.oneOf.map((o: Json) => o.type) : [s.type];
      const want = {
        string: ['string'],
        boolean: ['boolean'],
        integer: ['integer'],
        number: ['number'],
        time: ['string'],
        quantity: ['string', 'number'],
        'int-or-string': ['integer', 'string'],
      }[field.type];
      return JSON.stringify(types) === JSON.stringify(want)
        ? []
        : [`${path}: ${field.type} is ${JSON.stringify(types)}`];
    }
    case 'any':
      return s.type === 'object' && s['x-kubernetes-preserve-unknown-fields'] === true
        ? []
        : [`${path}: not free-form`];
    case 'list':
      return s.type === 'array'
        ? mismatches(doc, field.items, s.items, `${path}[]`, seen)
        : [`${path}: not an array`];
    case 'map':
      return s.type === 'object' && s.additionalProperties !== undefined
        ? mismatches(doc, field.values, s.additionalProperties, `${path}{}`, seen)
        : [`${path}: not a map`];
    case 'object': {
      if (seen.has(field)) return [];
      seen.add(field);
      if (s.type !== 'object') return [`${path}: not an object`];
      const keys = Object.keys(field.fields).sort();
      if (JSON.stringify(Object.keys(s.properties ?? {})) !== JSON.stringify(keys))
        return [`${path}: properties differ`];
      return keys.flatMap((k) =>
        mismatches(doc, field.fields[k] as Schema, s.properties[k], `${path}.${k}`, seen),
      );
    }
  }
}

describe('OpenAPI v3 documents', () => {
  it('the root lists one document per served group-version by its hash', () => {
    const root = JSON.parse(docs.root.json);
    const expected = [...new Set(RESOURCES.map((r) => groupVersionPath(r.group, r.version)))].sort();
    expect(Object.keys(root.paths).sort()).toEqual(expected);
    for (const path of expected) {
      const doc = docs.groupVersions.get(path);
      expect(root.paths[path]).toEqual({ serverRelativeURL: `/openapi/v3/${path}?hash=${doc?.hash}` });
      expect(doc?.hash).toMatch(/^[0-9A-F]{128}$/);
    }
  });

  it('is deterministic: a second build of the same registry hashes the same', () => {
    expect(openApiV3([...RESOURCES]).root.hash).toBe(docs.root.hash);
  });

  it('every served kind and its List is a component with its group-version-kind', () => {
    for (const r of RESOURCES) {
      const doc = docOf(r.group, r.version);
      expect(doc.openapi).toBe('3.0.0');
      const prefix = definitionPrefix(r.group, r.version);
      for (const kind of [r.kind, r.listKind]) {
        const schema = doc.components.schemas[`${prefix}.${kind}`];
        expect(schema?.['x-kubernetes-group-version-kind'], `${prefix}.${kind}`).toEqual([
          { group: r.group, kind, version: r.version },
        ]);
        expect(schema.type).toBe('object');
        expect(schema.description).toMatch(/\w/);
      }
      expect(schemaForKind(r.group, r.kind), `${r.group}/${r.kind} has a field schema`).toBeDefined();
    }
    expect(docOf('', 'v1').components.schemas['io.k8s.api.core.v1.Pod'].properties.spec).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }],
      default: {},
      description: 'Spec defines the desired behavior of a Pod.',
    });
  });

  it('every $ref resolves inside its own document', () => {
    for (const [path, doc] of parsed) {
      const names = new Set(Object.keys(doc.components.schemas));
      const broken = refs(doc).filter((ref) => !names.has(ref.replace('#/components/schemas/', '')));
      expect(broken, path).toEqual([]);
    }
  });

  it('carries every field of every field schema, with its type', () => {
    for (const r of RESOURCES) {
      const doc = docOf(r.group, r.version);
      const field = schemaForKind(r.group, r.kind);
      if (field === undefined) throw new Error(`no field schema for ${r.kind}`);
      const name = `${definitionPrefix(r.group, r.version)}.${r.kind}`;
      expect(mismatches(doc, field, { $ref: `#/components/schemas/${name}` }, r.kind, new Set())).toEqual([]);
    }
  });

  it('the completeness check notices a schema that does not match', () => {
    const pod = schemaForKind('', 'Pod');
    if (pod === undefined) throw new Error('no Pod schema');
    const ref = { $ref: '#/components/schemas/io.k8s.api.core.v1.Service' };
    expect(mismatches(docOf('', 'v1'), pod, ref, 'Pod', new Set())).toEqual([
      'Pod.spec: properties differ',
      'Pod.status: properties differ',
    ]);
  });

  it('marks required fields as Kubernetes does', () => {
    const schemas = docOf('', 'v1').components.schemas;
    expect(schemas['io.k8s.api.core.v1.Container'].required).toEqual(['name']);
    expect(schemas['io.k8s.api.core.v1.PodSpec'].required).toEqual(['containers']);
    expect(docOf('apps', 'v1').components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].required).toEqual([
      'selector',
      'template',
    ]);
  });

  it('lists merge by the same keys as the strategic merge patch of the server', () => {
    const core = docOf('', 'v1').components.schemas;
    const mergeKey = (schema: Json, field: string) => [
      schema.properties[field]['x-kubernetes-patch-strategy'],
      schema.properties[field]['x-kubernetes-patch-merge-key'],
    ];
    expect(mergeKey(core['io.k8s.api.core.v1.PodSpec'], 'containers')).toEqual(['merge', 'name']);
    expect(mergeKey(core['io.k8s.api.core.v1.PodSpec'], 'tolerations')).toEqual([undefined, undefined]);
    expect(mergeKey(core['io.k8s.api.core.v1.Container'], 'ports')).toEqual(['merge', 'containerPort']);
    expect(mergeKey(core['io.k8s.api.core.v1.Container'], 'args')).toEqual([undefined, undefined]);
    const meta = core['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'];
    expect(mergeKey(meta, 'finalizers')).toEqual(['merge', undefined]);
    expect(mergeKey(meta, 'ownerReferences')).toEqual(['merge', 'uid']);
    const status = docOf('apps', 'v1').components.schemas['io.k8s.api.apps.v1.DeploymentStatus'];
    expect(mergeKey(status, 'conditions')).toEqual(['merge', 'type']);
  });

  it('every kind has a PATCH with its GVK and a fieldValidation query parameter (what kubectl checks)', () => {
    for (const r of RESOURCES) {
      const doc = docOf(r.group, r.version);
      const patches = Object.values(doc.paths)
        .map((item: Json) => item.patch)
        .filter((op: Json) => op !== undefined);
      for (const op of patches) {
        expect(op.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query')).toBe(true);
      }
      const own = patches.filter(
        (op: Json) =>
          JSON.stringify(op['x-kubernetes-group-version-kind']) ===
          JSON.stringify({ group: r.group, version: r.version, kind: r.kind }),
      );
      expect(own.length, r.kind).toBeGreaterThan(0);
    }
    const scale = docOf('apps', 'v1').paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    expect(scale.patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
  });
});

describe('OpenAPI v3 over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('serves the root and a group-version as JSON with a quoted ETag', async () => {
    const root = await h.call('GET', '/openapi/v3');
    expect(root.status).toBe(200);
    expect(root.headers['content-type']).toBe('application/json');
    expect(root.headers.etag).toBe(`"${docs.root.hash}"`);
    const url: string = root.json.paths['apis/apps/v1'].serverRelativeURL;
    const apps = await h.call('GET', url);
    expect(apps.status).toBe(200);
    expect(apps.headers['cache-control']).toBe('public, immutable');
    expect(apps.headers.vary).toBe('Accept');
    expect(apps.json.components.schemas['io.k8s.api.apps.v1.Deployment']).toBeDefined();
    const unhashed = await h.call('GET', '/openapi/v3/apis/apps/v1');
    expect(unhashed.status).toBe(200);
    expect(unhashed.headers['cache-control']).toBe('no-cache, private');
  });

  it('answers 304 to a matching If-None-Match, 301 to a stale hash, 406 to protobuf only, 404 to unknown', async () => {
    const hash = docs.groupVersions.get('api/v1')?.hash;
    const same = await h.call('GET', '/openapi/v3/api/v1', { headers: { 'If-None-Match': `"${hash}"` } });
    expect(same.status).toBe(304);
    expect(same.text).toBe('');
    const stale = await h.call('GET', '/openapi/v3/api/v1?hash=0123');
    expect(stale.status).toBe(301);
    expect(stale.headers.location).toBe(`/openapi/v3/api/v1?hash=${hash}`);
    const proto = await h.call('GET', '/openapi/v3/api/v1', {
      headers: { Accept: 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf' },
    });
    expect(proto.status).toBe(406);
    expect((await h.call('GET', '/openapi/v3/apis/nothing/v1')).status).toBe(404);
  });

  it('needs authentication like every other path, and keeps /openapi/v2 as the empty document', async () => {
    expect((await h.call('GET', '/openapi/v3', { token: null })).status).toBe(401);
    expect((await h.call('GET', '/openapi/v3/api/v1', { token: null })).status).toBe(401);
    const v2 = await h.call('GET', '/openapi/v2');
    expect(v2.status).toBe(200);
    expect(v2.text).toBe('');
  });
});
