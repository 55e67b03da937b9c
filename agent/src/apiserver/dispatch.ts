/**
 * One request, start to finish: route -> authenticate -> (discovery | resource) -> authorise ->
 * read body -> handler -> JSON or Table response. Every failure becomes a Status.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceInfo } from '../api/registry.ts';
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import { forbiddenError } from '../auth/authorizer.ts';
import { certificateIdentity } from '../auth/client-certificates.ts';
import type { ResourceAttributes } from '../auth/roles.ts';
import type { Identity } from '../auth/tokens.ts';
import { envelopeOnlyAdmission, type ObjectAdmission } from './admission.ts';
import type { ObjectBackend } from './backend.ts';
import { decodeJson, decodeObjectBody, maxBodyBytes, readBody } from './body.ts';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
  type ServerVersion,
  versionDocument,
} from './discovery/documents.ts';
import { duplicateFields } from './duplicate-fields.ts';
import type { HandlerContext, HandlerResult } from './handlers/context.ts';
import {
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  updateObject,
} from './handlers/objects.ts';
import { getScale, patchScale, updateScale } from './handlers/scale.ts';
import { defaultWatchLimits, serveWatch, type WatchLimits } from './handlers/watch.ts';
import { serveOpenApiV3 } from './openapi/serve.ts';
import { isPatchContentType, patchContentTypes } from './patch/index.ts';
import { bodyFormat, negotiate } from './request/media-types.ts';
import { parseQuery } from './request/query.ts';
import { parseRoute, type ResourceRoute, type Verb, verbOf } from './request/route.ts';
import {
  makeStatus,
  methodNotAllowed,
  pathNotFound,
  StatusError,
  timeout,
  unauthorized,
  unsupportedMediaType,
} from './status.ts';
import { toTable } from './table.ts';

export interface Authenticator {
  /** The identity for an Authorization header, or undefined (401). */
  authenticate(authorization: string | undefined): Identity | undefined;
}

export interface Authorizer {
  authorize(identity: Identity, attributes: ResourceAttributes): boolean;
}

export interface DispatchOptions {
  readonly backend: ObjectBackend;
  readonly resources: readonly ResourceInfo[];
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly admission?: ObjectAdmission;
  /** Also accept TLS client certificates the server verified against its client CA. */
  readonly clientCertificates?: boolean;
  readonly version: ServerVersion;
  /** host:port clients should use (in /api's serverAddressByClientCIDRs). */
  readonly serverAddress: () => string;
  readonly maxBodyBytes?: number;
  /** Non-watch requests that take longer get 504 Timeout. */
  readonly requestTimeoutMs?: number;
  readonly watchLimits?: WatchLimits;
  readonly now?: () => Date;
  readonly newUid?: () => string;
}

export type Reply =
  | {
      readonly kind: 'json';
      readonly code: number;
      readonly body: object;
      readonly contentType?: string;
      /** Warning texts, sent as `Warning: 299 - "..."` headers. */
      readonly warnings?: readonly string[];
    }
  | {
      readonly kind: 'raw';
      readonly code: number;
      readonly body: string;
      readonly contentType: string;
      /** Extra headers (ETag, caching, Location); they replace the defaults of the same name. */
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'streamed' };

const json = (body: object, code = 200, contentType?: string): Reply => ({
  kind: 'json',
  code,
  body,
  ...(contentType ? { contentType } : {}),
});

/** Returns the reply for a request; a streamed reply (watch) has already been written. */
export async function dispatch(
  options: DispatchOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://kedge.invalid');
  const route = parseRoute(url.pathname);
  const identity =
    options.authenticator.authenticate(req.headers.authorization) ??
    (options.clientCertificates ? certificateIdentity(req.socket) : undefined);
  if (identity === undefined) throw unauthorized();
  const method = req.method ?? 'GET';
  const accept = negotiate(req.headers.accept);
  const resources = options.resources;

  if (route.kind !== 'resource') {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    switch (route.kind) {
      case 'version':
        return json(versionDocument(options.version));
      case 'health':
        return {
          kind: 'json',
          code: 200,
          body: { kind: 'Status', apiVersion: 'v1', status: 'Success', message: 'ok' },
        };
      case 'apiVersions':
        if (accept.aggregatedDiscovery) {
          const v = accept.aggregatedDiscovery;
          return json(aggregatedDiscovery(resources, true, v), 200, aggregatedContentType(v));
        }
        return json(apiVersions(options.serverAddress()));
      case 'apiGroupList':
        if (accept.aggregatedDiscovery) {
          const v = accept.aggregatedDiscovery;
          return json(aggregatedDiscovery(resources, false, v), 200, aggregatedContentType(v));
        }
        return json(apiGroupList(resources));
      case 'apiGroup':
        return json(apiGroupDocument(resources, route.group) ?? throwNotFound());
      case 'apiResourceList':
        return json(apiResourceList(resources, route.group, route.version) ?? throwNotFound());
      case 'openapiV2':
        // An empty body decodes as an empty protobuf Document: kubectl then skips client-side
        // validation for every kind instead of failing (kubectl-compat.md §6).
        return {
          kind: 'raw',
          code: 200,
          body: '',
          contentType: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
        };
      case 'openapiV3': {
        const reply = serveOpenApiV3(resources, {
          groupVersion: route.groupVersion,
          hash: url.searchParams.get('hash'),
          accept: req.headers.accept,
          ifNoneMatch: req.headers['if-none-match'],
          now: options.now?.() ?? new Date(),
        });
        if (reply === undefined) throw pathNotFound();
        return { kind: 'raw', ...reply };
      }
      default:
        throw pathNotFound();
    }
  }

  const info = resources.find(
    (r) => r.group === route.group && r.version === route.version && r.resource === route.resource,
  );
  if (info === undefined) throw pathNotFound();
  if (route.subresource !== '' && !info.subresources.some((s) => s === route.subresource))
    throw pathNotFound();
  if (!info.namespaced && route.namespace !== '') throw pathNotFound();
  const query = parseQuery(url.searchParams);
  const verb = verbOf(method, route, query.watch);
  if (verb === undefined || !allowedHere(verb, route, info)) throw methodNotAllowed();

  const attributes: ResourceAttributes = {
    verb,
    group: info.group,
    resource: info.resource,
    subresource: route.subresource,
    namespace: route.namespace,
    name: route.name,
    namespaced: info.namespaced,
  };
  if (!options.authorizer.authorize(identity, attributes)) throw forbiddenError(identity, attributes);

  const contentType = req.headers['content-type'] ?? 'application/json';
  const { body, duplicates } = await requestBody(
    verb,
    req,
    contentType,
    options.maxBodyBytes ?? maxBodyBytes,
    query.fieldValidation !== 'Ignore',
  );
  const ctx: HandlerContext = {
    backend: options.backend,
    admission: options.admission ?? envelopeOnlyAdmission,
    info,
    route,
    query,
    body,
    duplicateFields: duplicates,
    contentType,
    now: options.now ?? (() => new Date()),
    newUid: options.newUid ?? randomUUID,
  };

  if (verb === 'watch') {
    await serveWatch(ctx, res, accept.table, options.watchLimits ?? defaultWatchLimits);
    return { kind: 'streamed' };
  }
  const result = await withDeadline(run(verb, ctx), options.requestTimeoutMs ?? 60_000);
  if (accept.table && result.resourceBody && (verb === 'get' || verb === 'list')) {
    const now = ctx.now().getTime();
    const table =
      verb === 'list'
        ? toTable(
            info,
            (result.body as KubeList).items,
            (result.body as KubeList).metadata,
            accept.table,
            now,
          )
        : toTable(info, [result.body as KubeObject], {}, accept.table, now);
    return json(table, result.code);
  }
  const warnings = result.warnings ?? [];
  return { kind: 'json', code: result.code, body: result.body, ...(warnings.length > 0 ? { warnings } : {}) };
}

function throwNotFound(): never {
  throw pathNotFound();
}

/** Which verbs each kind of path takes: collections are namespaced for namespaced writes. */
function allowedHere(verb: Verb, route: ResourceRoute, info: ResourceInfo): boolean {
  if (route.subresource !== '') return verb === 'get' || verb === 'update' || verb === 'patch';
  if (info.namespaced && route.namespace === '') return verb === 'list' || verb === 'watch';
  return true;
}

/** The decoded body and, for a JSON create/update/patch body when asked, the keys it repeats. */
async function requestBody(
  verb: Verb,
  req: IncomingMessage,
  contentType: string,
  limit: number,
  findDuplicates: boolean,
): Promise<{ body: unknown; duplicates: readonly string[] }> {
  if (
    verb !== 'create' &&
    verb !== 'update' &&
    verb !== 'patch' &&
    verb !== 'delete' &&
    verb !== 'deletecollection'
  ) {
    return { body: undefined, duplicates: [] };
  }
  const raw = await readBody(req, limit);
  if (verb === 'patch') {
    // Patch documents are JSON whatever their media type; the media type picks the patch semantics.
    if (!isPatchContentType(contentType))
      throw unsupportedMediaType(contentType, Object.values(patchContentTypes));
    if (raw.length === 0) throw new StatusError(makeStatus('BadRequest', 'the patch body is empty'));
    const text = raw.toString('utf8');
    const body = decodeJson(text);
    return { body, duplicates: findDuplicates ? duplicateFields(text) : [] };
  }
  if (verb === 'delete' || verb === 'deletecollection') {
    return { body: raw.length === 0 ? undefined : decodeObjectBody(raw, contentType), duplicates: [] };
  }
  const body = decodeObjectBody(raw, contentType);
  // JSON.parse keeps the last of repeated keys; YAML bodies with repeated keys are refused by the
  // parser, and protobuf cannot repeat a field.
  const json = findDuplicates && bodyFormat(contentType) === 'json';
  return { body, duplicates: json ? duplicateFields(raw.toString('utf8')) : [] };
}

function run(verb: Verb, ctx: HandlerContext): Promise<HandlerResult> {
  if (ctx.route.subresource === 'scale') {
    if (verb === 'get') return getScale(ctx);
    if (verb === 'update') return updateScale(ctx);
    return patchScale(ctx);
  }
  switch (verb) {
    case 'get':
      return getObject(ctx);
    case 'list':
      return listObjects(ctx);
    case 'create':
      return createObject(ctx);
    case 'update':
      return updateObject(ctx);
    case 'patch':
      return patchObject(ctx);
    case 'delete':
      return deleteObject(ctx);
    case 'deletecollection':
      return deleteCollection(ctx);
    case 'watch':
      throw new Error('watch is streamed, not run');
  }
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(timeout(`the request did not complete within ${ms / 1000}s; it may still take effect`, 1)),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
