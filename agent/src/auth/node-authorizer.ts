/**
 * The API's authorizer with node identities confined to their own node (node-rules.ts). A
 * request from a node (node-identity.ts) is decided by the node rules alone; any other identity
 * goes to the inner authorizer (roles). A node that is denied gets Kubernetes' wording, so the
 * denial throws its Forbidden StatusError itself instead of answering false (every caller throws
 * the generic Forbidden on false, which would lose the reason).
 */
import { forbidden, type StatusError } from '../api/errors.ts';
import { forbiddenError } from './authorizer.ts';
import { nodeIdentityOf } from './node-identity.ts';
import { decideForNode, type NodeDecision, type NodeRelations, type NodeRuleOptions } from './node-rules.ts';
import type { ResourceAttributes } from './roles.ts';
import type { Identity } from './tokens.ts';

export interface Authorizer {
  authorize(identity: Identity, attributes: ResourceAttributes): boolean;
}

export interface NodeAuthorizerOptions extends NodeRuleOptions {
  readonly inner: Authorizer;
  /** The name of cluster member `nodeId` (current or retired: a leaving node deletes its Node). */
  readonly memberName: (nodeId: number) => string | undefined;
  readonly relations: NodeRelations;
}

export function nodeAuthorizer(o: NodeAuthorizerOptions): Authorizer {
  return {
    authorize(identity, attributes) {
      const node = nodeIdentityOf(identity, o.memberName);
      if (node === undefined) return o.inner.authorize(identity, attributes);
      if (node.kind === 'unknown') {
        throw nodeForbidden(identity, attributes, {
          allowed: false,
          restriction: false,
          reason: `node-${node.nodeId} is not a member of this cluster`,
        });
      }
      const decision = decideForNode(node.nodeName, attributes, o.relations, o);
      if (decision.allowed) return true;
      throw nodeForbidden(identity, attributes, decision);
    },
  };
}

export function nodeForbidden(
  identity: Identity,
  attributes: ResourceAttributes,
  decision: Extract<NodeDecision, { allowed: false }>,
): StatusError {
  if (decision.restriction) {
    return forbidden(
      { group: attributes.group, resource: attributes.resource },
      attributes.name,
      decision.reason,
    );
  }
  return forbiddenError(identity, attributes, decision.reason);
}
