/**
 * What the Actions page sends, as plain request descriptions built from the objects the page
 * holds (pure, tested without a browser), and one function that sends a description through the
 * pool — the same API, token and authorisation as the CLI.
 *
 *   scale     PATCH deployments/<name>/scale            merge-patch {spec: {replicas}}
 *   roll back PATCH deployments/<name>                  json-patch replace /spec/template with the
 *                                                       previous ReplicaSet's (like rollout undo)
 *   delete    DELETE pods/<name>
 *   cordon    PATCH nodes/<name>                        merge-patch {spec: {unschedulable}}
 *   drain     cordon, then DELETE each pod on the node but DaemonSet ones (no eviction API yet)
 */
import { ApiError } from './agent-pool.js';
import { controllerOf } from './workload-rows.js';

/** @typedef {import('./agent-pool.js').AgentPool} AgentPool */
/** @typedef {import('./kube-types.js').Deployment} Deployment */
/** @typedef {import('./kube-types.js').ReplicaSet} ReplicaSet */
/** @typedef {import('./kube-types.js').Pod} Pod */
/** @typedef {{ method: string, path: string, contentType?: string, body?: unknown, describe: string }} ApiRequest */

/** A refusal the page shows as it is: it names what to do instead. */
export class ActionError extends Error {
  /** @param {'Invalid' | 'NotFound' | 'Conflict'} kind @param {string} message */
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const revisionAnnotation = 'deployment.kubernetes.io/revision';

/**
 * @param {string} namespace @param {string} name @param {number} replicas
 * @returns {ApiRequest}
 */
export function scaleRequest(namespace, name, replicas) {
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new ActionError('Invalid', `replicas must be a whole number of at least 0, not "${replicas}"`);
  }
  return {
    method: 'PATCH',
    path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}/scale`,
    contentType: 'application/merge-patch+json',
    body: { spec: { replicas } },
    describe: `scale deployment ${namespace}/${name} to ${replicas}`,
  };
}

/**
 * The Deployment's ReplicaSets by revision, newest first.
 * @param {Deployment} deployment
 * @param {ReplicaSet[]} replicaSets
 */
export function revisionsOf(deployment, replicaSets) {
  return replicaSets
    .filter(
      (rs) =>
        rs.metadata.namespace === deployment.metadata.namespace &&
        controllerOf(rs)?.uid === deployment.metadata.uid,
    )
    .map((rs) => ({ rs, revision: Number(rs.metadata.annotations?.[revisionAnnotation] ?? 0) }))
    .sort((a, b) => b.revision - a.revision);
}

/**
 * Roll back to the previous revision: its pod template, without the pod-template-hash label
 * that the ReplicaSet controller adds (kubectl rollout undo does the same).
 * @param {Deployment} deployment
 * @param {ReplicaSet[]} replicaSets
 * @returns {ApiRequest}
 */
export function rollbackRequest(deployment, replicaSets) {
  const ns = deployment.metadata.namespace ?? 'default';
  const name = deployment.metadata.name ?? '';
  const revisions = revisionsOf(deployment, replicaSets);
  const previous = revisions[1];
  if (previous === undefined) {
    throw new ActionError('NotFound', `deployment ${ns}/${name} has no previous revision to roll back to`);
  }
  const template = structuredClone(previous.rs.spec.template);
  if (template === undefined) {
    throw new ActionError('Invalid', `replicaset ${previous.rs.metadata.name} has no pod template`);
  }
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  return {
    method: 'PATCH',
    path: `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
    contentType: 'application/json-patch+json',
    body: [{ op: 'replace', path: '/spec/template', value: template }],
    describe: `roll back deployment ${ns}/${name} to revision ${previous.revision} (${previous.rs.metadata.name})`,
  };
}

/** @param {string} namespace @param {string} name @returns {ApiRequest} */
export function deletePodRequest(namespace, name) {
  return {
    method: 'DELETE',
    path: `/api/v1/namespaces/${namespace}/pods/${name}`,
    describe: `delete pod ${namespace}/${name}`,
  };
}

/** @param {string} node @param {boolean} unschedulable @returns {ApiRequest} */
export function cordonRequest(node, unschedulable) {
  return {
    method: 'PATCH',
    path: `/api/v1/nodes/${node}`,
    contentType: 'application/merge-patch+json',
    body: { spec: { unschedulable } },
    describe: `${unschedulable ? 'cordon' : 'uncordon'} node ${node}`,
  };
}

/**
 * Cordon, then delete the pods on the node, as `kubectl drain --ignore-daemonsets
 * --disable-eviction` does: DaemonSet pods stay (their controller would put them back) and pods
 * already terminating are left to finish.
 * @param {string} node
 * @param {Pod[]} pods all pods the page knows
 * @returns {{ requests: ApiRequest[], skipped: string[] }}
 */
export function drainPlan(node, pods) {
  /** @type {ApiRequest[]} */
  const requests = [cordonRequest(node, true)];
  /** @type {string[]} */
  const skipped = [];
  for (const pod of pods) {
    if (pod.spec.nodeName !== node) continue;
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name ?? '';
    if (controllerOf(pod)?.kind === 'DaemonSet') skipped.push(`${ns}/${name} (DaemonSet)`);
    else if (pod.metadata.deletionTimestamp) skipped.push(`${ns}/${name} (already terminating)`);
    else requests.push(deletePodRequest(ns, name));
  }
  return { requests, skipped };
}

/**
 * Sends one request; resolves with the reply's JSON, rejects with the API's Status as an ApiError.
 * @param {AgentPool} pool
 * @param {ApiRequest} request
 */
export function send(pool, request) {
  return pool.json(request.path, {
    method: request.method,
    ...(request.body === undefined
      ? {}
      : {
          body: JSON.stringify(request.body),
          headers: { 'Content-Type': request.contentType ?? 'application/json' },
        }),
  });
}

export { ApiError };
