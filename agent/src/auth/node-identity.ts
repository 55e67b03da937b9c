/**
 * Which node a request speaks for. Two spellings are node identities:
 *
 *   kedge agent certificate: CN=node-<id>, no O (cluster/node-certificate.ts) ─> the member's name
 *                            (the registry maps ids to names; an unknown id is a node of no name)
 *   Kubernetes' spelling:    user system:node:<name> in group system:nodes ─> <name>
 *
 * Everything else (tokens, ServiceAccounts, admin certificates) is no node: undefined.
 */
import type { Identity } from './tokens.ts';

export const nodesGroup = 'system:nodes';
export const nodeUserPrefix = 'system:node:';

/** A node identity: its node name, or `unknown` when the certificate names no current member. */
export type NodeIdentity =
  | { readonly kind: 'node'; readonly nodeName: string }
  | { readonly kind: 'unknown'; readonly nodeId: number };

export function nodeIdentityOf(
  identity: Identity,
  memberName: (nodeId: number) => string | undefined,
): NodeIdentity | undefined {
  if (identity.serviceAccountNamespace !== undefined) return undefined;
  const agent = /^node-(\d+)$/.exec(identity.name);
  if (
    agent?.[1] !== undefined &&
    identity.groups.length === 1 &&
    identity.groups[0] === 'system:authenticated'
  ) {
    const nodeId = Number(agent[1]);
    const nodeName = memberName(nodeId);
    return nodeName === undefined ? { kind: 'unknown', nodeId } : { kind: 'node', nodeName };
  }
  if (identity.name.startsWith(nodeUserPrefix) && identity.groups.includes(nodesGroup)) {
    const nodeName = identity.name.slice(nodeUserPrefix.length);
    if (nodeName !== '') return { kind: 'node', nodeName };
  }
  return undefined;
}
