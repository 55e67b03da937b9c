/**
 * Roles, as Kubernetes' default ClusterRoles define them (simplified to what kedge serves):
 *
 * | role          | may                                                                    |
 * | ------------- | ---------------------------------------------------------------------- |
 * | cluster-admin | everything, everywhere                                                 |
 * | edit          | read and write every namespaced resource (secrets included) and their |
 * |               | subresources (scale, status, exec, log); read namespaces               |
 * | view          | get, list and watch namespaced resources except secrets; read         |
 * |               | namespaces                                                             |
 *
 * Neither edit nor view touches cluster-scoped resources (nodes, persistentvolumes, namespaces'
 * writes) — as in Kubernetes. A binding grants a role cluster-wide or in one namespace.
 *
 * ServiceAccounts: every namespace's ServiceAccounts are bound to `edit` in their own namespace
 * (and nothing elsewhere), so a workload can manage its neighbours but not the cluster. This is
 * broader than Kubernetes' default (no rights at all) and narrower than cluster-admin.
 */
export type RoleName = 'cluster-admin' | 'edit' | 'view';

export const roleNames: readonly RoleName[] = ['cluster-admin', 'edit', 'view'];

export const readVerbs: ReadonlySet<string> = new Set(['get', 'list', 'watch']);
export const writeVerbs: ReadonlySet<string> = new Set([
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
]);

/** What a request wants to do (Kubernetes' authorizer.Attributes for resource requests). */
export interface ResourceAttributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  /** Empty for cluster-scoped resources and for all-namespace lists. */
  readonly namespace: string;
  readonly name: string;
  /** Whether the resource is namespaced (a list across namespaces of pods is still namespaced). */
  readonly namespaced: boolean;
}

/** A role granted to a user or group, cluster-wide (no namespace) or in one namespace. */
export interface RoleBinding {
  readonly role: RoleName;
  readonly user?: string;
  readonly group?: string;
  readonly namespace?: string;
}

/** Whether `role` allows `attributes`, ignoring where it was granted. */
export function roleAllows(role: RoleName, attributes: ResourceAttributes): boolean {
  if (role === 'cluster-admin') return true;
  const readOnly = readVerbs.has(attributes.verb);
  if (!attributes.namespaced) {
    // Reading namespaces is part of both roles (kubectl needs it for `get ns`); nothing else cluster-scoped.
    return readOnly && attributes.group === '' && attributes.resource === 'namespaces';
  }
  if (role === 'edit') return readOnly || writeVerbs.has(attributes.verb);
  return (
    readOnly &&
    !(attributes.group === '' && attributes.resource === 'secrets') &&
    attributes.subresource !== 'exec'
  );
}
