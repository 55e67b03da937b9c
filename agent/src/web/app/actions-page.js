/**
 * Actions: scale or roll back a Deployment, delete a pod, cordon, uncordon or drain a node.
 * The forms stay put while the lists behind their pickers change; every outcome, the API's
 * refusal included, is written to the log on the page.
 */
import {
  cordonRequest,
  deletePodRequest,
  drainPlan,
  rollbackRequest,
  scaleRequest,
  send,
} from './actions.js';
import { coalesce, h } from './dom.js';
import { byNamespaceAndName } from './workload-rows.js';

/** @typedef {import('./main.js').PageContext} PageContext */
/** @typedef {import('./actions.js').ApiRequest} ApiRequest */

const paths = ['/apis/apps/v1/deployments', '/api/v1/pods', '/apis/apps/v1/replicasets', '/api/v1/nodes'];

/**
 * @param {HTMLElement} root
 * @param {PageContext} ctx
 */
export function showActions(root, ctx) {
  const informers = ctx.informers.require(paths);
  /** @param {string} path @returns {any[]} */
  const items = (path) => byNamespaceAndName(informers.get(path)?.items() ?? []);
  const log = h('ol', { class: 'action-log', 'data-testid': 'action-log' });

  /** @param {string} text @param {'ok' | 'error'} kind */
  const note = (text, kind) =>
    log.prepend(h('li', { class: kind }, h('time', {}, new Date().toLocaleTimeString()), ` ${text}`));

  /** @param {() => ApiRequest[]} plan */
  const run = async (plan) => {
    /** @type {ApiRequest[]} */
    let requests;
    try {
      requests = plan();
    } catch (error) {
      note(String(error instanceof Error ? error.message : error), 'error');
      return;
    }
    for (const request of requests) {
      try {
        await send(ctx.pool, request);
        note(`${request.describe}: done`, 'ok');
      } catch (error) {
        note(`${request.describe}: ${error instanceof Error ? error.message : String(error)}`, 'error');
      }
    }
  };

  const deployment = h('select', { 'data-testid': 'deployment' });
  const replicas = h('input', { type: 'number', min: 0, value: 1, 'data-testid': 'replicas' });
  const pod = h('select', { 'data-testid': 'pod' });
  const node = h('select', { 'data-testid': 'node' });
  const selected = (/** @type {HTMLElement} */ el) => /** @type {HTMLSelectElement} */ (el).value;

  /** @param {string} key */
  const deploymentByKey = (key) =>
    items('/apis/apps/v1/deployments').find((d) => `${d.metadata.namespace}/${d.metadata.name}` === key);

  root.replaceChildren(
    h(
      'section',
      { class: 'action' },
      h('h2', {}, 'Deployment'),
      deployment,
      h('label', {}, ' replicas ', replicas),
      h(
        'button',
        {
          'data-testid': 'scale',
          onclick: () =>
            run(() => {
              const [ns, name] = selected(deployment).split('/');
              return [
                scaleRequest(ns ?? '', name ?? '', Number(/** @type {HTMLInputElement} */ (replicas).value)),
              ];
            }),
        },
        'Scale',
      ),
      h(
        'button',
        {
          'data-testid': 'rollback',
          onclick: () =>
            run(() => {
              const d = deploymentByKey(selected(deployment));
              if (d === undefined) throw new Error('pick a deployment first');
              return [rollbackRequest(d, items('/apis/apps/v1/replicasets'))];
            }),
        },
        'Roll back',
      ),
    ),
    h(
      'section',
      { class: 'action' },
      h('h2', {}, 'Pod'),
      pod,
      h(
        'button',
        {
          'data-testid': 'delete-pod',
          onclick: () =>
            run(() => {
              const [ns, name] = selected(pod).split('/');
              if (!name) throw new Error('pick a pod first');
              return [deletePodRequest(ns ?? '', name)];
            }),
        },
        'Delete',
      ),
    ),
    h(
      'section',
      { class: 'action' },
      h('h2', {}, 'Node'),
      node,
      h(
        'button',
        { 'data-testid': 'cordon', onclick: () => run(() => [cordonRequest(selected(node), true)]) },
        'Cordon',
      ),
      h(
        'button',
        { 'data-testid': 'uncordon', onclick: () => run(() => [cordonRequest(selected(node), false)]) },
        'Uncordon',
      ),
      h(
        'button',
        {
          'data-testid': 'drain',
          onclick: () =>
            run(() => {
              const plan = drainPlan(selected(node), items('/api/v1/pods'));
              if (plan.skipped.length) note(`drain leaves ${plan.skipped.join(', ')}`, 'ok');
              return plan.requests;
            }),
        },
        'Drain',
      ),
    ),
    h('h2', {}, 'Log'),
    log,
  );

  const draw = coalesce(() => {
    fill(
      deployment,
      items('/apis/apps/v1/deployments').map((d) => {
        const key = `${d.metadata.namespace}/${d.metadata.name}`;
        return [key, `${key} (${d.spec.replicas ?? 1} replicas)`];
      }),
    );
    fill(
      pod,
      items('/api/v1/pods').map((p) => [
        `${p.metadata.namespace}/${p.metadata.name}`,
        `${p.metadata.namespace}/${p.metadata.name} on ${p.spec.nodeName || '—'}`,
      ]),
    );
    fill(
      node,
      items('/api/v1/nodes').map((n) => [
        n.metadata.name,
        `${n.metadata.name}${n.spec?.unschedulable ? ' (cordoned)' : ''}`,
      ]),
    );
  });
  for (const informer of informers.values()) informer.addEventListener('change', draw);
  draw();
  return () => {
    for (const informer of informers.values()) informer.removeEventListener('change', draw);
  };
}

/**
 * Replaces a picker's options and keeps the user's choice when it still exists.
 * @param {HTMLElement} select
 * @param {[string, string][]} options value, label
 */
function fill(select, options) {
  const el = /** @type {HTMLSelectElement} */ (select);
  const chosen = el.value;
  el.replaceChildren(...options.map(([value, label]) => h('option', { value }, label)));
  if (options.some(([value]) => value === chosen)) el.value = chosen;
}
