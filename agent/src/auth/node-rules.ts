/**
 * What a node may do through the API: Kubernetes' Node authorizer and NodeRestriction admission,
 * as one pure decision over (node name, request attributes, the pods bound to the node).
 *
 *   read anything a kubelet, the service proxy, DNS and the edge ingress proxy watch:
 *     pods, services, endpoints, endpointslices, nodes, namespaces, ingresses, ingressclasses,
 *     persistentvolumes
 *   read what the pods bound to it reference (the graph's edges, pod-references.ts):
 *     get secrets / configmaps / serviceaccounts / persistentvolumeclaims
 *   write its own:
 *     its Node (create, update, patch, delete, status), its Lease in kube-node-lease,
 *     the status of pods bound to it, deleting pods bound to it (graceful deletion's end),
 *     claims its pods use (the local-path provisioner binds them), events
 *   everything else: denied, with Kubernetes' wording
 *
 * Two allowances are wider than Kubernetes, because kedge's node does more than a kubelet:
 *   - list/watch of Secrets when `secretListsForIngress` (the edge ingress proxy informs every
 *     Secret to find TLS certificates, and the kubelet finds a ServiceAccount's token Secret by
 *     listing its namespace): with it, a node can read every Secret by listing.
 *   - persistentvolumes create/delete/status and ingresses/status: the node's local-path
 *     provisioner and ingress status keeper write them; the body is not checked here.
 */
import type { Pod } from '../api/types/pod.ts';
import { podReferences } from './pod-references.ts';
import type { ResourceAttributes } from './roles.ts';

/** The store as the decision sees it: the pods bound to a node (spec.nodeName). */
export interface NodeRelations {
  podsOn(nodeName: string): readonly Pod[];
}

export interface NodeRuleOptions {
  readonly secretListsForIngress: boolean;
}

export type NodeDecision =
  | { readonly allowed: true }
  /**
   * `restriction`: NodeRestriction's wording replaces the authorizer's
   * (`nodes "x" is forbidden: node "y" is not allowed to modify node "x"`);
   * else `reason` follows it (`... cannot get resource "secrets" ...: no relationship found ...`).
   */
  | { readonly allowed: false; readonly reason: string; readonly restriction: boolean };

export const nodeLeaseNamespace = 'kube-node-lease';

const allow: NodeDecision = { allowed: true };
const deny = (reason: string): NodeDecision => ({ allowed: false, reason, restriction: false });
const restrict = (reason: string): NodeDecision => ({ allowed: false, reason, restriction: true });

const readVerbs = new Set(['get', 'list', 'watch']);
const modifyVerbs = new Set(['update', 'patch', 'delete']);

/** group/resource pairs every node may read whole (what its informers watch). */
const readable = new Set([
  '/pods',
  '/services',
  '/endpoints',
  '/nodes',
  '/namespaces',
  '/persistentvolumes',
  'discovery.k8s.io/endpointslices',
  'networking.k8s.io/ingresses',
  'networking.k8s.io/ingressclasses',
]);

/** Resources readable only by name, and only when a pod bound to the node references them. */
type Referenced = 'secrets' | 'configmaps' | 'serviceaccounts' | 'persistentvolumeclaims';
const referencedKinds = new Set<string>([
  'secrets',
  'configmaps',
  'serviceaccounts',
  'persistentvolumeclaims',
]);

export function decideForNode(
  nodeName: string,
  a: ResourceAttributes,
  relations: NodeRelations,
  options: NodeRuleOptions,
): NodeDecision {
  const key = `${a.group}/${a.resource}`;
  const read = readVerbs.has(a.verb);

  if (read && readable.has(key) && (a.subresource === '' || a.subresource === 'status')) return allow;

  if (a.group === '' && referencedKinds.has(a.resource)) {
    if (read && a.subresource === '') {
      if (a.verb === 'get' && a.name !== '') {
        if (referencedBy(relations.podsOn(nodeName), a.resource as Referenced, a.namespace, a.name))
          return allow;
        return deny(noRelationship(nodeName));
      }
      if (a.resource === 'secrets' && options.secretListsForIngress) return allow;
      return deny(`node "${nodeName}" can only get individual ${a.resource} its pods reference`);
    }
    // The local-path provisioner binds the claims of its own pods (spec.volumeName, then status).
    if (
      a.resource === 'persistentvolumeclaims' &&
      (a.verb === 'update' || a.verb === 'patch') &&
      (a.subresource === '' || a.subresource === 'status') &&
      referencedBy(relations.podsOn(nodeName), 'persistentvolumeclaims', a.namespace, a.name)
    )
      return allow;
    return deny(noRelationship(nodeName));
  }

  if (key === '/nodes') return nodeObject(nodeName, a);
  if (key === 'coordination.k8s.io/leases') return nodeLease(nodeName, a);
  if (key === '/pods') return podWrite(nodeName, a, relations);
  if (key === '/events' || key === 'events.k8s.io/events') {
    return a.verb === 'create' || a.verb === 'update' || a.verb === 'patch'
      ? allow
      : deny(`node "${nodeName}" may only write events`);
  }
  if (key === '/persistentvolumes' && ['create', 'update', 'patch', 'delete'].includes(a.verb)) {
    // Only the provisioner's writes: a whole-object update of a volume is not one of them.
    if (a.verb === 'create' || a.verb === 'delete' || a.subresource === 'status') return allow;
  }
  if (
    key === 'networking.k8s.io/ingresses' &&
    a.subresource === 'status' &&
    (a.verb === 'update' || a.verb === 'patch')
  )
    return allow;
  return deny(`node "${nodeName}" is not allowed to ${a.verb} this resource`);
}

/** NodeRestriction: a node creates and changes its own Node object and nothing else's. */
function nodeObject(nodeName: string, a: ResourceAttributes): NodeDecision {
  if (a.subresource !== '' && a.subresource !== 'status')
    return deny(`node "${nodeName}" may not use nodes/${a.subresource}`);
  // A create names its object in the body, which the authorizer does not see: allowed here.
  if (a.verb === 'create' && a.subresource === '') return allow;
  if (modifyVerbs.has(a.verb) && a.name !== '') {
    if (a.name === nodeName) return allow;
    return restrict(`node "${nodeName}" is not allowed to modify node "${a.name}"`);
  }
  return restrict(`node "${nodeName}" is not allowed to ${a.verb} nodes`);
}

/** A node renews its own Lease in kube-node-lease and touches no other. */
function nodeLease(nodeName: string, a: ResourceAttributes): NodeDecision {
  const own = a.namespace === nodeLeaseNamespace && a.subresource === '';
  if (own && a.verb === 'create') return allow;
  if (own && a.name === nodeName && (a.verb === 'get' || modifyVerbs.has(a.verb))) return allow;
  return restrict('can only access node lease with the same name as the requesting node');
}

/**
 * Pods: a node writes the status of the pods bound to it and confirms their deletion; it never
 * creates pods nor changes a pod's spec.
 */
function podWrite(nodeName: string, a: ResourceAttributes, relations: NodeRelations): NodeDecision {
  const bound = () =>
    relations
      .podsOn(nodeName)
      .some((p) => p.metadata.name === a.name && (p.metadata.namespace ?? 'default') === a.namespace);
  if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
    if (bound()) return allow;
    return restrict(
      `node "${nodeName}" can only update pod status for pods with spec.nodeName set to itself`,
    );
  }
  if (a.subresource === '' && a.verb === 'delete' && a.name !== '') {
    if (bound()) return allow;
    return restrict(`node "${nodeName}" can only delete pods with spec.nodeName set to itself`);
  }
  if (a.subresource === '' && (a.verb === 'update' || a.verb === 'patch'))
    return restrict(`node "${nodeName}" is not allowed to modify the spec of pod "${a.name}"`);
  return restrict(
    `node "${nodeName}" is not allowed to ${a.verb} pods${a.subresource ? `/${a.subresource}` : ''}`,
  );
}

function referencedBy(pods: readonly Pod[], resource: Referenced, namespace: string, name: string): boolean {
  return pods.some((pod) => {
    if ((pod.metadata.namespace ?? 'default') !== namespace) return false;
    const refs = podReferences(pod);
    switch (resource) {
      case 'secrets':
        return refs.secrets.has(name);
      case 'configmaps':
        return refs.configMaps.has(name);
      case 'persistentvolumeclaims':
        return refs.claims.has(name);
      case 'serviceaccounts':
        return refs.serviceAccount === name;
    }
    return false;
  });
}

function noRelationship(nodeName: string): string {
  return `no relationship found between node '${nodeName}' and this object`;
}
