/**
 * GET /openapi/v3[/<group-version>] the way kube-openapi's handler3 answers: JSON only (406 when the
 * client accepts nothing else), a quoted ETag of the document hash with 304 on If-None-Match, and
 * for `?hash=` the immutable caching a hashed URL allows, or a 301 to the current hash when the
 * client asked for an old one.
 */
import type { ResourceInfo } from '../../api/registry.ts';
import { openApiV3 } from './documents.ts';

export interface OpenApiReply {
  readonly code: number;
  readonly body: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface OpenApiRequest {
  /** What follows /openapi/v3/: '' for the discovery root. */
  readonly groupVersion: string;
  readonly hash: string | null;
  readonly accept: string | undefined;
  readonly ifNoneMatch: string | undefined;
  readonly now: Date;
}

/** undefined when no document has that path (the caller's 404). */
export function serveOpenApiV3(
  resources: readonly ResourceInfo[],
  request: OpenApiRequest,
): OpenApiReply | undefined {
  const documents = openApiV3(resources);
  const doc =
    request.groupVersion === '' ? documents.root : documents.groupVersions.get(request.groupVersion);
  if (doc === undefined) return undefined;
  if (!acceptsJson(request.accept)) {
    return {
      code: 406,
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotAcceptable',
        code: 406,
        message: 'only application/json is served for OpenAPI v3',
      }),
      contentType: 'application/json',
      headers: {},
    };
  }
  const etag = `"${doc.hash}"`;
  const headers: Record<string, string> = { ETag: etag };
  if (request.groupVersion !== '' && request.hash !== null) {
    if (request.hash !== doc.hash) {
      return {
        code: 301,
        body: '',
        contentType: 'text/plain',
        headers: { Location: `/openapi/v3/${request.groupVersion}?hash=${doc.hash}` },
      };
    }
    headers.Vary = 'Accept';
    headers['Cache-Control'] = 'public, immutable';
    const expires = new Date(request.now);
    expires.setUTCFullYear(expires.getUTCFullYear() + 1);
    headers.Expires = expires.toUTCString();
  }
  if (request.ifNoneMatch !== undefined && matches(request.ifNoneMatch, etag))
    return { code: 304, body: '', contentType: 'application/json', headers };
  return { code: 200, body: doc.json, contentType: 'application/json', headers };
}

function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((clause) => {
    const type = (clause.split(';')[0] ?? '').trim().toLowerCase();
    return type === 'application/json' || type === 'application/*' || type === '*/*';
  });
}

const matches = (ifNoneMatch: string, etag: string): boolean =>
  ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
