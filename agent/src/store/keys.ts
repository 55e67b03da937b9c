/**
 * How objects are addressed. Inside a resource, objects sort by `namespace/name` (the order of
 * Kubernetes' etcd keys `/registry/<resource>/<namespace>/<name>`), which is also the paging order.
 */
import type { KubeObject } from '../api/types/meta.ts';

export interface ResourceRef {
  readonly group: string;
  readonly resource: string;
}

export interface ObjectKey extends ResourceRef {
  /** '' for cluster-scoped resources. */
  readonly namespace: string;
  readonly name: string;
}

export const resourceKey = (r: ResourceRef): string => `${r.group}/${r.resource}`;

/** The position of an object inside its resource: `namespace/name` (`/name` when cluster-scoped). */
export const objectPath = (namespace: string, name: string): string => `${namespace}/${name}`;

export const pathOf = (obj: KubeObject): string =>
  objectPath(obj.metadata.namespace ?? '', obj.metadata.name ?? '');

/** The half-open range of paths in one namespace: every `ns/...` sorts in [`ns/`, `ns0`) since '0' follows '/'. */
export function namespaceRange(namespace: string): [string, string] {
  return [`${namespace}/`, `${namespace}0`];
}
