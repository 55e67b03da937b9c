/**
 * Table rows from API objects, as `kubectl get` shows them: ready counts, restarts, status
 * reasons, the node, the age. Pure, so that the tables and the tests agree on one meaning.
 */
/** @typedef {import('./kube-types.js').Pod} Pod */
/** @typedef {import('./kube-types.js').Deployment} Deployment */
/** @typedef {import('./kube-types.js').ReplicaSet} ReplicaSet */
/** @typedef {import('./kube-types.js').StatefulSet} StatefulSet */
/** @typedef {import('./kube-types.js').DaemonSet} DaemonSet */
/** @typedef {import('./kube-types.js').Job} Job */
/** @typedef {import('./kube-types.js').Service} Service */
/** @typedef {import('./kube-types.js').Endpoints} Endpoints */
/** @typedef {import('./kube-types.js').KubeEvent} KubeEvent */
/** @typedef {import('./kube-types.js').KubeObject} KubeObject */

/**
 * "3d4h", "12m", "40s" like kubectl's AGE column.
 * @param {string | null | undefined} since RFC 3339
 * @param {number} now ms
 */
export function age(since, now) {
  const t = since ? Date.parse(since) : Number.NaN;
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ''}`;
}

/**
 * Status as kubectl prints it: a waiting or terminated reason beats the phase; deletion shows.
 * @param {Pod} pod
 */
export function podStatus(pod) {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  for (const c of pod.status?.containerStatuses ?? []) {
    const reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (reason) return reason;
  }
  return pod.status?.reason ?? pod.status?.phase ?? 'Pending';
}

/** @param {Pod} pod @param {number} now */
export function podRow(pod, now) {
  const statuses = pod.status?.containerStatuses ?? [];
  const containers = pod.spec.containers.length;
  return {
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    status: podStatus(pod),
    ready: `${statuses.filter((c) => c.ready).length}/${containers}`,
    restarts: statuses.reduce((sum, c) => sum + (c.restartCount ?? 0), 0),
    node: pod.spec.nodeName ?? '',
    ip: pod.status?.podIP ?? '',
    age: age(pod.metadata.creationTimestamp, now),
  };
}

/** @param {Deployment} d @param {number} now */
export function deploymentRow(d, now) {
  return {
    namespace: d.metadata.namespace ?? '',
    name: d.metadata.name ?? '',
    ready: `${d.status?.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`,
    upToDate: d.status?.updatedReplicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
    age: age(d.metadata.creationTimestamp, now),
  };
}

/** @param {ReplicaSet} rs @param {number} now */
export function replicaSetRow(rs, now) {
  return {
    namespace: rs.metadata.namespace ?? '',
    name: rs.metadata.name ?? '',
    owner: controllerOf(rs)?.name ?? '',
    revision: rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '',
    desired: rs.spec.replicas ?? 1,
    current: rs.status?.replicas ?? 0,
    ready: rs.status?.readyReplicas ?? 0,
    age: age(rs.metadata.creationTimestamp, now),
  };
}

/** @param {StatefulSet} s @param {number} now */
export function statefulSetRow(s, now) {
  return {
    namespace: s.metadata.namespace ?? '',
    name: s.metadata.name ?? '',
    ready: `${s.status?.readyReplicas ?? 0}/${s.spec.replicas ?? 1}`,
    age: age(s.metadata.creationTimestamp, now),
  };
}

/** @param {DaemonSet} d @param {number} now */
export function daemonSetRow(d, now) {
  return {
    namespace: d.metadata.namespace ?? '',
    name: d.metadata.name ?? '',
    desired: d.status?.desiredNumberScheduled ?? 0,
    current: d.status?.currentNumberScheduled ?? 0,
    ready: d.status?.numberReady ?? 0,
    age: age(d.metadata.creationTimestamp, now),
  };
}

/** @param {Job} j @param {number} now */
export function jobRow(j, now) {
  const failed = j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True');
  const complete = j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
  return {
    namespace: j.metadata.namespace ?? '',
    name: j.metadata.name ?? '',
    status: failed ? 'Failed' : complete ? 'Complete' : 'Running',
    completions: `${j.status?.succeeded ?? 0}/${j.spec.completions ?? 1}`,
    active: j.status?.active ?? 0,
    failed: j.status?.failed ?? 0,
    age: age(j.metadata.creationTimestamp, now),
  };
}

/**
 * A Service with the endpoints its Endpoints object lists (ready ones, then not-ready ones).
 * @param {Service} s
 * @param {Endpoints | undefined} endpoints
 */
export function serviceRow(s, endpoints) {
  /** @type {string[]} */
  const ready = [];
  /** @type {string[]} */
  const notReady = [];
  for (const subset of endpoints?.subsets ?? []) {
    const ports = (subset.ports ?? []).map((p) => p.port);
    for (const a of subset.addresses ?? [])
      for (const p of ports.length ? ports : ['']) ready.push(`${a.ip}${p === '' ? '' : `:${p}`}`);
    for (const a of subset.notReadyAddresses ?? [])
      for (const p of ports.length ? ports : ['']) notReady.push(`${a.ip}${p === '' ? '' : `:${p}`}`);
  }
  return {
    namespace: s.metadata.namespace ?? '',
    name: s.metadata.name ?? '',
    type: s.spec.type ?? 'ClusterIP',
    clusterIP: s.spec.clusterIP ?? '',
    ports: (s.spec.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(','),
    ready,
    notReady,
  };
}

/**
 * Newest first, at most `limit`.
 * @param {KubeEvent[]} events
 * @param {number} now
 * @param {number} [limit]
 */
export function eventRows(events, now, limit = 100) {
  const when = (/** @type {KubeEvent} */ e) =>
    Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '') || 0;
  return [...events]
    .sort((a, b) => when(b) - when(a))
    .slice(0, limit)
    .map((e) => ({
      namespace: e.metadata.namespace ?? '',
      last: age(new Date(when(e)).toISOString(), now),
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      object: `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`,
      message: e.message ?? '',
      count: e.count ?? 1,
    }));
}

/** @param {KubeObject} object */
export function controllerOf(object) {
  return object.metadata.ownerReferences?.find((o) => o.controller) ?? object.metadata.ownerReferences?.[0];
}

/**
 * @template {KubeObject} T
 * @param {T[]} objects
 * @returns {T[]}
 */
export function byNamespaceAndName(objects) {
  return [...objects].sort(
    (a, b) =>
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}
