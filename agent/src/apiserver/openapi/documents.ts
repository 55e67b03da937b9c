/**
 * The OpenAPI v3 documents of the served kinds, one per group-version as Kubernetes splits them
 * (`api/v1`, `apis/apps/v1`...), plus the discovery root that lists them by hash. Pure: the same
 * registry always gives the same bytes, so the hash (kube-openapi's upper-case hex SHA-512 of the
 * JSON) is a stable ETag.
 */
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../../api/registry.ts';
import type { ObjectSchema, Schema } from '../../api/schema/builder.ts';
import { schemaForKind } from '../../api/schema/kinds.ts';
import { patchTypeFor } from '../patch/merge-keys.ts';
import { Components, type OpenApiSchema, refTo } from './components.ts';
import {
  kindDescription,
  listMeta,
  listMetaName,
  metaComponents,
  standardFieldDescriptions,
} from './meta-schemas.ts';
import { resourcePaths, type ServedKind } from './paths.ts';

export interface GroupVersionDocument {
  /** `api/v1`, `apis/apps/v1`: the key of the discovery root and the path below /openapi/v3/. */
  readonly path: string;
  readonly json: string;
  readonly hash: string;
}

export interface OpenApiV3 {
  readonly root: { readonly json: string; readonly hash: string };
  readonly groupVersions: ReadonlyMap<string, GroupVersionDocument>;
}

const hashOf = (json: string): string => createHash('sha512').update(json).digest('hex').toUpperCase();

/** `io.k8s.api.apps.v1`: Kubernetes' Go package of a group's types (core for the legacy group). */
export function definitionPrefix(group: string, version: string): string {
  const pkg = group === '' ? 'core' : (group.split('.')[0] ?? group);
  return `io.k8s.api.${pkg}.${version}`;
}

export const groupVersionPath = (group: string, version: string): string =>
  group === '' ? `api/${version}` : `apis/${group}/${version}`;

/**
 * A kind's schema as its own component: named after the kind, with `<Kind>Spec`/`<Kind>Status`
 * names for unnamed spec and status (Kubernetes' convention) and the standard descriptions of
 * apiVersion, kind, metadata, spec and status where the field schema has none.
 */
function kindSchema(schema: ObjectSchema, prefix: string, kind: string): ObjectSchema {
  const described: Record<string, Schema> = {};
  for (const [key, field] of Object.entries(schema.fields)) {
    let next: Schema = field;
    if ((key === 'spec' || key === 'status') && next.kind === 'object' && next.definition === undefined)
      next = {
        ...next,
        definition: `${prefix}.${kind}${key === 'spec' ? 'Spec' : 'Status'}`,
        typeDescription:
          key === 'spec'
            ? `${kind}Spec is the specification of the desired behavior of the ${kind}.`
            : `${kind}Status is the most recently observed status of the ${kind}.`,
      };
    const standard = standardFieldDescriptions(kind)[key];
    if (next.description === undefined && standard !== undefined) next = { ...next, description: standard };
    described[key] = next;
  }
  return { ...schema, fields: described, typeDescription: schema.typeDescription ?? kindDescription(kind) };
}

/** One Scale schema for every /scale subresource, so the documents name one field set. */
const scale = schemaForKind('autoscaling', 'Scale');
const scaleSchema = scale && kindSchema(scale, 'io.k8s.api.autoscaling.v1', 'Scale');

const gvkExtension = (group: string, version: string, kind: string) => ({
  'x-kubernetes-group-version-kind': [{ group, kind, version }],
});

/** The document of one group-version: every kind, its List, and the paths that serve them. */
function groupVersionDocument(group: string, version: string, infos: readonly ResourceInfo[]): object {
  const components = new Components();
  for (const [name, schema] of metaComponents) components.define(name, schema);
  const prefix = definitionPrefix(group, version);
  const kinds: ServedKind[] = [];
  const kindSchemas = new Map<ResourceInfo, ObjectSchema>();
  for (const info of infos) {
    const schema = schemaForKind(info.group, info.kind);
    if (schema === undefined) continue;
    const named = kindSchema(schema, prefix, info.kind);
    kindSchemas.set(info, named);
    components.notePatchRules(named, patchTypeFor(info.group, info.kind));
  }
  if (scaleSchema !== undefined) components.notePatchRules(scaleSchema, patchTypeFor('autoscaling', 'Scale'));
  for (const info of infos) {
    const schema = kindSchemas.get(info);
    const name = `${prefix}.${info.kind}`;
    if (schema === undefined) {
      // A kind without a field schema still gets a GVK entry, so clients can map it; its body is free-form.
      components.define(name, {
        type: 'object',
        description: kindDescription(info.kind),
        'x-kubernetes-preserve-unknown-fields': true,
        ...gvkExtension(info.group, info.version, info.kind),
      });
    } else {
      components.register(schema, name, gvkExtension(info.group, info.version, info.kind));
    }
    const listName = `${prefix}.${info.listKind}`;
    components.define(listName, listSchema(info, name));
    let scaleName: string | undefined;
    if (info.subresources.includes('scale')) {
      if (scaleSchema !== undefined) {
        scaleName = components.register(
          scaleSchema,
          'io.k8s.api.autoscaling.v1.Scale',
          gvkExtension('autoscaling', 'v1', 'Scale'),
        );
      }
    }
    kinds.push({ info, schemaName: name, listName, ...(scaleName !== undefined ? { scaleName } : {}) });
  }
  const schemas: Record<string, OpenApiSchema> = {};
  for (const name of [...components.schemas.keys()].sort()) {
    const schema = components.schemas.get(name);
    if (schema !== undefined) schemas[name] = schema;
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: Object.fromEntries(kinds.flatMap((kind) => resourcePaths(kind))),
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header' } },
    },
    security: [{ BearerToken: [] }],
  };
}

function listSchema(info: ResourceInfo, itemName: string): OpenApiSchema {
  const standard = standardFieldDescriptions(info.listKind);
  return {
    type: 'object',
    description: `${info.listKind} is a list of ${info.kind} objects.`,
    properties: {
      apiVersion: { type: 'string', description: standard.apiVersion },
      items: {
        type: 'array',
        description: `List of ${info.resource}.`,
        items: { allOf: [refTo(itemName)], default: {} },
      },
      kind: { type: 'string', description: standard.kind },
      metadata: { allOf: [refTo(listMetaName)], default: {}, description: listMeta.description },
    },
    required: ['items'],
    ...gvkExtension(info.group, info.version, info.listKind),
  };
}

const cache = new WeakMap<readonly ResourceInfo[], OpenApiV3>();

/** The documents for a registry, built once (the registry does not change while serving). */
export function openApiV3(resources: readonly ResourceInfo[]): OpenApiV3 {
  const cached = cache.get(resources);
  if (cached !== undefined) return cached;
  const byGroupVersion = new Map<string, ResourceInfo[]>();
  for (const info of resources) {
    const path = groupVersionPath(info.group, info.version);
    byGroupVersion.set(path, [...(byGroupVersion.get(path) ?? []), info]);
  }
  const groupVersions = new Map<string, GroupVersionDocument>();
  for (const [path, infos] of [...byGroupVersion].sort(([a], [b]) => a.localeCompare(b))) {
    const first = infos[0];
    if (first === undefined) continue;
    const json = JSON.stringify(groupVersionDocument(first.group, first.version, infos));
    groupVersions.set(path, { path, json, hash: hashOf(json) });
  }
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const doc of groupVersions.values())
    paths[doc.path] = { serverRelativeURL: `/openapi/v3/${doc.path}?hash=${doc.hash}` };
  const rootJson = JSON.stringify({ paths });
  const built: OpenApiV3 = { root: { json: rootJson, hash: hashOf(rootJson) }, groupVersions };
  cache.set(resources, built);
  return built;
}
