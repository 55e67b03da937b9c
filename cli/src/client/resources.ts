/**
 * What users type for a resource (`po`, `pods`, `deploy`, `deployment.apps`, `Deployment`) to the
 * registry's ResourceInfo, and the REST paths for it. kedge's registry is the discovery document
 * its API server serves, so the CLI resolves from it directly instead of fetching /api and /apis.
 * The metrics.k8s.io kinds (served by the metrics API, not stored) are added here for `top`.
 */
import { apiVersionOf, RESOURCES, type ResourceInfo, resolveResource, resourceForKind } from '../api.ts';
import { usageError } from '../errors.ts';

const metrics = (kind: string, resource: string, namespaced: boolean): ResourceInfo => ({
  group: 'metrics.k8s.io',
  version: 'v1beta1',
  kind,
  listKind: `${kind}List`,
  resource,
  singular: kind.toLowerCase(),
  shortNames: [],
  namespaced,
  subresources: [],
  categories: [],
  verbs: ['get', 'list'],
  fieldSelectors: [],
});

export const NODE_METRICS = metrics('NodeMetrics', 'nodes', false);
export const POD_METRICS = metrics('PodMetrics', 'pods', true);

/** Resolves a resource name as typed, or throws kubectl's error with a hint. */
export function resolveType(name: string): ResourceInfo {
  const info = resolveResource(name) ?? RESOURCES.find((r) => r.kind.toLowerCase() === name.toLowerCase());
  if (!info)
    throw usageError(
      `the server doesn't have a resource type "${name}"`,
      `Known types: ${RESOURCES.map((r) => r.resource).join(', ')}.`,
    );
  return info;
}

/** The resource for an object read from a manifest, by its apiVersion and kind. */
export function resourceOfObject(
  apiVersion: string | undefined,
  kind: string | undefined,
): ResourceInfo | undefined {
  if (!apiVersion || !kind) return undefined;
  return resourceForKind(apiVersion, kind);
}

/** The resources `get all` lists: those in the "all" category, in kubectl's order. */
export function allCategory(): ResourceInfo[] {
  return RESOURCES.filter((r) => r.categories.includes('all'));
}

/** `/api/v1/namespaces/ns/pods/name/sub` — the namespace segment is left out for cluster scope or all namespaces. */
export function resourcePath(
  info: ResourceInfo,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
): string {
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const n = name !== undefined ? `/${encodeURIComponent(name)}` : '';
  const s = subresource ? `/${subresource}` : '';
  return `${base}${ns}/${info.resource}${n}${s}`;
}

/** `deployment.apps`, `pod`: the prefix kubectl prints in `deployment.apps/web created`. */
export function qualifiedKind(info: ResourceInfo): string {
  return info.group === '' ? info.singular : `${info.singular}.${info.group}`;
}

/** `deployments.apps`, `pods`: how kubectl names a resource in messages. */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group === '' ? info.resource : `${info.resource}.${info.group}`;
}

export { apiVersionOf };
