/** What the store needs to know about a resource, taken from the API registry. */
import { apiVersionOf, findResource, hasSubresource } from '../api/registry.ts';
import type { ResourceRef } from './keys.ts';

export interface ResourcePolicy {
  readonly group: string;
  readonly resource: string;
  readonly kind: string;
  readonly apiVersion: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  /** With a status subresource, a main-resource update keeps the stored status. */
  readonly hasStatus: boolean;
  readonly fieldSelectors: readonly string[];
}

export function policyFor(ref: ResourceRef): ResourcePolicy | undefined {
  const r = findResource(ref.group, ref.resource);
  if (r === undefined) return undefined;
  return {
    group: r.group,
    resource: r.resource,
    kind: r.kind,
    apiVersion: apiVersionOf(r),
    listKind: r.listKind,
    namespaced: r.namespaced,
    hasStatus: hasSubresource(r, 'status'),
    fieldSelectors: r.fieldSelectors,
  };
}
