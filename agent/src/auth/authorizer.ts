import { forbidden, type StatusError } from '../api/errors.ts';
import { type ResourceAttributes, type RoleBinding, roleAllows } from './roles.ts';
import type { Identity } from './tokens.ts';

/** Members of this group are cluster admins whatever the bindings say (as in Kubernetes). */
export const mastersGroup = 'system:masters';

/**
 * Role-based authorisation over a list of bindings. ServiceAccounts are implicitly bound to
 * `edit` in their own namespace (see roles.ts).
 */
export class RoleAuthorizer {
  readonly #bindings: readonly RoleBinding[];

  constructor(bindings: readonly RoleBinding[]) {
    this.#bindings = bindings;
  }

  /** Whether `identity` may do `attributes`; deny by default. */
  authorize(identity: Identity, attributes: ResourceAttributes): boolean {
    if (identity.groups.includes(mastersGroup)) return true;
    const bindings: RoleBinding[] = this.#bindings.filter(
      (b) => b.user === identity.name || (b.group !== undefined && identity.groups.includes(b.group)),
    );
    if (identity.serviceAccountNamespace !== undefined) {
      bindings.push({ role: 'edit', user: identity.name, namespace: identity.serviceAccountNamespace });
    }
    for (const binding of bindings) {
      const inScope =
        binding.namespace === undefined ||
        (attributes.namespaced && attributes.namespace === binding.namespace) ||
        // A namespace-bound role may read the Namespace object it is bound in.
        (!attributes.namespaced &&
          attributes.resource === 'namespaces' &&
          attributes.name === binding.namespace);
      if (inScope && roleAllows(binding.role, attributes)) return true;
    }
    return false;
  }
}

/**
 * Kubernetes' Forbidden wording:
 * `pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "default"`.
 */
export function forbiddenError(
  identity: Identity,
  attributes: ResourceAttributes,
  /** Why, appended as Kubernetes' authorizers do (`...: no relationship found between ...`). */
  reason?: string,
): StatusError {
  const resource = attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
  const scope = attributes.namespace ? `in the namespace "${attributes.namespace}"` : 'at the cluster scope';
  const why = `User "${identity.name}" cannot ${attributes.verb} resource "${resource}" in API group "${attributes.group}" ${scope}${reason ? `: ${reason}` : ''}`;
  return forbidden({ group: attributes.group, resource: attributes.resource }, attributes.name, why);
}
