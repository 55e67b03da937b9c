/**
 * The API's authorizer with the cluster's agents added: a request authenticated by a verified
 * node certificate (CN=node-<id>, no groups: what cluster/node-certificate.ts issues) may do what
 * the node components need (its kubelet, the proxy's reads, the control plane's scrapes). Agents
 * are trusted members of the cluster here; Kubernetes' narrower node authorizer (only the pods of
 * its own node) is not done.
 */
import type { ResourceAttributes } from '../auth/roles.ts';
import type { Identity } from '../auth/tokens.ts';

export interface Authorizer {
  authorize(identity: Identity, attributes: ResourceAttributes): boolean;
}

export function isAgentIdentity(identity: Identity): boolean {
  return (
    /^node-\d+$/.test(identity.name) &&
    identity.groups.length === 1 &&
    identity.groups[0] === 'system:authenticated' &&
    identity.serviceAccountNamespace === undefined
  );
}

export function withAgents(inner: Authorizer): Authorizer {
  return {
    authorize: (identity, attributes) => isAgentIdentity(identity) || inner.authorize(identity, attributes),
  };
}
