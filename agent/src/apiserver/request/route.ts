/**
 * Kubernetes URL paths -> a typed route. Pure: no registry lookups here, so an unknown resource
 * is still a `resource` route and the handler answers NotFound with Kubernetes' wording.
 *
 *   /version /healthz /livez /readyz            -> server info
 *   /api                                        -> APIVersions
 *   /apis                                       -> APIGroupList
 *   /apis/{group}                               -> APIGroup
 *   /api/v1, /apis/{group}/{version}            -> APIResourceList
 *   /openapi/v2, /openapi/v3, /openapi/v3/...   -> OpenAPI (what kubectl's validation needs)
 *   {prefix}/[watch/][namespaces/{ns}/]{resource}[/{name}[/{subresource}]]
 *     where prefix is /api/v1 or /apis/{group}/{version}; /namespaces/{name}/status|finalize is
 *     the Namespace object's subresource, as in Kubernetes' RequestInfoFactory.
 */

export interface ResourceRoute {
  readonly kind: 'resource';
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  /** '' when the path names no namespace (cluster-scoped, or a list across all namespaces). */
  readonly namespace: string;
  readonly name: string;
  readonly subresource: string;
  /** The legacy `/watch/` path segment (the same as `?watch=true`). */
  readonly watchPath: boolean;
}

export type Route =
  | { readonly kind: 'version' }
  | { readonly kind: 'health'; readonly check: string }
  | { readonly kind: 'apiVersions' }
  | { readonly kind: 'apiGroupList' }
  | { readonly kind: 'apiGroup'; readonly group: string }
  | { readonly kind: 'apiResourceList'; readonly group: string; readonly version: string }
  | { readonly kind: 'openapiV2' }
  | { readonly kind: 'openapiV3'; readonly groupVersion: string }
  | ResourceRoute
  | { readonly kind: 'unknown' };

const namespaceSubresources = new Set(['status', 'finalize']);

/** Parses a request path (without the query string). */
export function parseRoute(pathname: string): Route {
  let parts: string[];
  try {
    parts = pathname
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p));
  } catch {
    // A malformed %-escape names no resource; the caller answers 404 like any unknown path.
    return { kind: 'unknown' };
  }
  const [first, second, third] = parts;
  if (first === undefined) return { kind: 'unknown' };
  if (parts.length === 1 && first === 'version') return { kind: 'version' };
  if (parts.length === 1 && (first === 'healthz' || first === 'livez' || first === 'readyz')) {
    return { kind: 'health', check: first };
  }
  if (first === 'openapi') {
    if (parts.length === 2 && second === 'v2') return { kind: 'openapiV2' };
    if (second === 'v3') return { kind: 'openapiV3', groupVersion: parts.slice(2).join('/') };
    return { kind: 'unknown' };
  }
  if (first === 'api') {
    if (second === undefined) return { kind: 'apiVersions' };
    if (parts.length === 2) return { kind: 'apiResourceList', group: '', version: second };
    return resourceRoute('', second, parts.slice(2));
  }
  if (first === 'apis') {
    if (second === undefined) return { kind: 'apiGroupList' };
    if (third === undefined) return { kind: 'apiGroup', group: second };
    if (parts.length === 3) return { kind: 'apiResourceList', group: second, version: third };
    return resourceRoute(second, third, parts.slice(3));
  }
  return { kind: 'unknown' };
}

function resourceRoute(group: string, version: string, rest: string[]): Route {
  let parts = rest;
  let watchPath = false;
  if (parts[0] === 'watch') {
    watchPath = true;
    parts = parts.slice(1);
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length >= 2) {
    const third = parts[2];
    if (third !== undefined && !namespaceSubresources.has(third)) {
      namespace = parts[1]!;
      parts = parts.slice(2);
    } else if (third === undefined || parts.length === 3) {
      // /namespaces/{name} and /namespaces/{name}/status: the Namespace object itself.
      return route(group, version, 'namespaces', '', parts[1]!, third ?? '', watchPath);
    }
  }
  const [resource, name, subresource, ...extra] = parts;
  if (resource === undefined || extra.length > 0) return { kind: 'unknown' };
  return route(group, version, resource, namespace, name ?? '', subresource ?? '', watchPath);
}

function route(
  group: string,
  version: string,
  resource: string,
  namespace: string,
  name: string,
  subresource: string,
  watchPath: boolean,
): ResourceRoute {
  return { kind: 'resource', group, version, resource, namespace, name, subresource, watchPath };
}

/** Kubernetes verbs for resource requests. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** The verb of a resource request, or undefined when the method makes no sense on this path. */
export function verbOf(method: string, route: ResourceRoute, watchQuery: boolean): Verb | undefined {
  const named = route.name !== '';
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (route.watchPath || watchQuery) return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      return named && route.subresource === '' ? undefined : 'create';
    case 'PUT':
      return named ? 'update' : undefined;
    case 'PATCH':
      return named ? 'patch' : undefined;
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}
