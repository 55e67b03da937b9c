/**
 * Workloads: Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, Pods, Services with their
 * endpoints, and the newest Events, redrawn (at most once a frame) as the informers change.
 */
import { coalesce, h, table } from './dom.js';
import {
  byNamespaceAndName,
  daemonSetRow,
  deploymentRow,
  eventRows,
  jobRow,
  podRow,
  replicaSetRow,
  serviceRow,
  statefulSetRow,
} from './workload-rows.js';

/** @typedef {import('./main.js').PageContext} PageContext */

/** In order of how live they must be: the first ones get watches (informer-set.js). */
export const WORKLOAD_PATHS = [
  '/api/v1/pods',
  '/apis/apps/v1/deployments',
  '/api/v1/events',
  '/apis/apps/v1/replicasets',
  '/apis/apps/v1/statefulsets',
  '/apis/apps/v1/daemonsets',
  '/apis/batch/v1/jobs',
  '/api/v1/services',
  '/api/v1/endpoints',
];

/**
 * @param {HTMLElement} root
 * @param {PageContext} ctx
 */
export function showWorkloads(root, ctx) {
  const informers = ctx.informers.require(WORKLOAD_PATHS);
  /** @param {string} path @returns {any[]} */
  const items = (path) => byNamespaceAndName(informers.get(path)?.items() ?? []);

  const draw = coalesce(() => {
    const now = Date.now();
    const endpoints = new Map(
      items('/api/v1/endpoints').map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]),
    );
    root.replaceChildren(
      h('h2', {}, 'Deployments'),
      table(
        'deployments',
        ['namespace', 'name', 'ready', 'up-to-date', 'available', 'age'],
        items('/apis/apps/v1/deployments').map((d) => deploymentRow(d, now)),
        (r) => [r.namespace, r.name, r.ready, r.upToDate, r.available, r.age],
        (r) => ({ 'data-name': r.name }),
      ),
      h('h2', {}, 'ReplicaSets'),
      table(
        'replicasets',
        ['namespace', 'name', 'owner', 'revision', 'desired', 'current', 'ready', 'age'],
        items('/apis/apps/v1/replicasets').map((rs) => replicaSetRow(rs, now)),
        (r) => [r.namespace, r.name, r.owner, r.revision, r.desired, r.current, r.ready, r.age],
      ),
      h('h2', {}, 'StatefulSets'),
      table(
        'statefulsets',
        ['namespace', 'name', 'ready', 'age'],
        items('/apis/apps/v1/statefulsets').map((s) => statefulSetRow(s, now)),
        (r) => [r.namespace, r.name, r.ready, r.age],
      ),
      h('h2', {}, 'DaemonSets'),
      table(
        'daemonsets',
        ['namespace', 'name', 'desired', 'current', 'ready', 'age'],
        items('/apis/apps/v1/daemonsets').map((d) => daemonSetRow(d, now)),
        (r) => [r.namespace, r.name, r.desired, r.current, r.ready, r.age],
      ),
      h('h2', {}, 'Jobs'),
      table(
        'jobs',
        ['namespace', 'name', 'status', 'completions', 'active', 'failed', 'age'],
        items('/apis/batch/v1/jobs').map((j) => jobRow(j, now)),
        (r) => [r.namespace, r.name, r.status, r.completions, r.active, r.failed, r.age],
      ),
      h('h2', {}, 'Pods'),
      table(
        'pods',
        ['namespace', 'name', 'status', 'ready', 'restarts', 'node', 'IP', 'age'],
        items('/api/v1/pods').map((p) => podRow(p, now)),
        (r) => [
          r.namespace,
          r.name,
          h('span', { class: `status-${r.status}` }, r.status),
          r.ready,
          r.restarts,
          r.node,
          r.ip,
          r.age,
        ],
        (r) => ({ 'data-name': r.name, 'data-status': r.status }),
      ),
      h('h2', {}, 'Services'),
      table(
        'services',
        ['namespace', 'name', 'type', 'cluster IP', 'ports', 'endpoints'],
        items('/api/v1/services').map((s) =>
          serviceRow(s, endpoints.get(`${s.metadata.namespace}/${s.metadata.name}`)),
        ),
        (r) => [
          r.namespace,
          r.name,
          r.type,
          r.clusterIP,
          r.ports,
          [
            r.ready.join(', ') || '—',
            r.notReady.length ? h('span', { class: 'warn' }, ` not ready: ${r.notReady.join(', ')}`) : null,
          ],
        ],
      ),
      h('h2', {}, 'Events'),
      table(
        'events',
        ['last seen', 'type', 'reason', 'object', 'message', 'count'],
        eventRows(items('/api/v1/events'), now),
        (r) => [
          r.last,
          h('span', { class: r.type === 'Warning' ? 'warn' : '' }, r.type),
          r.reason,
          `${r.namespace}/${r.object}`,
          r.message,
          r.count,
        ],
      ),
      h(
        'p',
        { class: 'muted' },
        [...informers.values()].map((i) => `${i.path}: ${i.mode}, ${i.state}`).join(' · '),
      ),
    );
  });
  for (const informer of informers.values()) informer.addEventListener('change', draw);
  draw();
  // Ages move on even when nothing changes.
  const tick = setInterval(draw, 5000);
  return () => {
    clearInterval(tick);
    for (const informer of informers.values()) informer.removeEventListener('change', draw);
  };
}
