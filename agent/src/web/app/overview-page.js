/**
 * Overview: the control plane (leader or election, term), one card per agent with its role,
 * health, Raft term and indexes, its Node's readiness and live CPU and memory charts, and the
 * timeline of leader changes.
 *
 *   ClusterMonitor 'change' ─┐
 *   nodes informer 'change' ─┼─▶ draw(): cards keyed by node name (charts survive redraws)
 *   metrics poll (2 s) ──────┘        recordSamples ─▶ uPlot.setData
 */
import uPlot from 'uplot';
import { coalesce, h } from './dom.js';
import { healthOf, leadershipOf } from './leader-timeline.js';
import { chartTimeRange, recordSamples } from './metrics-history.js';
import { formatBytes } from './quantity.js';

/** @typedef {import('./main.js').PageContext} PageContext */
/** @typedef {import('./kube-types.js').Node} Node */
/** @typedef {import('./kube-types.js').ClusterMember} ClusterMember */
/** @typedef {import('./metrics-history.js').NodeSeries} NodeSeries */

export const NODE_METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/nodes';

/**
 * The charts' series per login (one PageContext), kept while the user is on another page, so
 * that coming back shows the minutes already measured rather than an empty chart.
 * @type {WeakMap<PageContext, Map<string, NodeSeries>>}
 */
const histories = new WeakMap();

/**
 * @param {HTMLElement} root
 * @param {PageContext} ctx
 * @returns {() => void} stops the page
 */
export function showOverview(root, ctx) {
  const nodes = ctx.informers.require(['/api/v1/nodes']).get('/api/v1/nodes');
  const history = histories.get(ctx) ?? new Map();
  histories.set(ctx, history);
  /** @type {Map<string, { card: HTMLElement, info: HTMLElement, usage: HTMLElement, chart: uPlot }>} */
  const cards = new Map();
  let metricsNote = 'waiting for the first sample';

  const banner = h('section', { class: 'leadership', 'data-testid': 'leadership' });
  const grid = h('section', { class: 'node-grid', 'data-testid': 'nodes' });
  const timeline = h('ol', { class: 'timeline', 'data-testid': 'leader-timeline' });
  root.replaceChildren(banner, grid, h('h2', {}, 'Leader changes'), timeline);

  /** @param {string} name */
  const nodeByName = (name) => /** @type {Node | undefined} */ (nodes?.cache.objects.get(name));

  const draw = coalesce(() => {
    const status = ctx.monitor.status;
    if (status === undefined) {
      banner.replaceChildren(
        ctx.monitor.error ? `Cluster status unavailable: ${ctx.monitor.error}` : 'Loading…',
      );
      return;
    }
    const leadership = leadershipOf(status);
    banner.dataset.state = leadership.kind;
    banner.dataset.leader = leadership.kind === 'leader' ? leadership.name : '';
    banner.replaceChildren(
      leadership.kind === 'leader'
        ? h(
            'span',
            {},
            'Leader ',
            h('strong', { 'data-testid': 'leader-name' }, leadership.name),
            ` · term ${status.term}`,
          )
        : h('span', {}, h('strong', {}, 'Election in progress'), ` · ${leadership.reason}`),
      h(
        'span',
        { class: 'muted' },
        ` · ${status.members.length} agents · answered by ${ctx.monitor.answeredBy}`,
      ),
      ctx.monitor.error ? h('span', { class: 'warn' }, ` · last poll failed: ${ctx.monitor.error}`) : '',
    );
    const names = new Set([...status.members.map((m) => m.name), ...(nodes?.cache.objects.keys() ?? [])]);
    for (const name of [...names].sort()) {
      const member = status.members.find((m) => m.name === name);
      drawCard(name, member, nodeByName(name), member !== undefined && member.id === status.leader);
    }
    for (const [name, entry] of cards) {
      if (names.has(name)) continue;
      entry.chart.destroy();
      entry.card.remove();
      cards.delete(name);
    }
    timeline.replaceChildren(
      ...[...ctx.monitor.timeline]
        .reverse()
        .map((e) =>
          h(
            'li',
            { 'data-kind': e.kind },
            h('time', {}, new Date(e.at).toLocaleTimeString()),
            ' ',
            h(
              'span',
              {},
              e.kind === 'leader'
                ? `${e.leaderName} leads (term ${e.term})`
                : `election (term ${e.term}): no leader`,
            ),
          ),
        ),
    );
    document.body.dataset.overviewReady = 'true';
  });

  /**
   * @param {string} name
   * @param {ClusterMember | undefined} member
   * @param {Node | undefined} node
   * @param {boolean} isLeader
   */
  function drawCard(name, member, node, isLeader) {
    let entry = cards.get(name);
    if (entry === undefined) {
      const chartBox = h('div', { class: 'chart' });
      const info = h('dl', { class: 'facts' });
      const usage = h('div', { class: 'usage' });
      const card = h(
        'article',
        { class: 'node', 'data-node': name },
        h('h3', {}, name),
        info,
        usage,
        chartBox,
      );
      grid.append(card);
      // Back on this page after another: draw the series measured so far at once.
      const kept = history.get(name);
      const chart = new uPlot(
        chartOptions(),
        kept ? [kept.t, kept.cpu, kept.memory] : [[], [], []],
        chartBox,
      );
      entry = { card, info, usage, chart };
      cards.set(name, entry);
    }
    const s = member?.status;
    const role = s?.role ?? (member ? 'unknown' : 'not a member');
    const campaigning = s?.raftState === 'candidate' || s?.raftState === 'preCandidate';
    const health = member
      ? healthOf(member.health)
      : { state: 'unknown', reason: 'not in the cluster registry' };
    const ready = node?.status?.conditions?.find((c) => c.type === 'Ready');
    entry.card.dataset.role = role;
    entry.card.dataset.health = health.state;
    entry.card.classList.toggle('leader', isLeader);
    entry.card.classList.toggle('campaigning', campaigning);
    entry.card.classList.toggle('down', health.state !== 'healthy');
    /** @type {[string, string][]} */
    const facts = [
      ['role', `${role}${campaigning ? ' (campaigning)' : ''}`],
      ['health', health.reason ? `${health.state}: ${health.reason}` : health.state],
      ['raft', s ? `${s.raftState || '—'} · term ${s.term}` : '—'],
      [
        'commit / applied',
        s ? `${s.commit} / ${s.applied}${member?.lag ? ` (lag ${member.lag})` : ''}` : '—',
      ],
      [
        'node',
        node
          ? `${ready?.status === 'True' ? 'Ready' : 'NotReady'}${node.spec?.unschedulable ? ', cordoned' : ''}`
          : 'no Node object',
      ],
      ['address', member?.apiAddress ?? ''],
    ];
    entry.info.replaceChildren(
      ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-fact': k }, v)]),
    );
    const series = history.get(name);
    // How many measurements the chart holds: the tests wait on it for a live (moving) chart.
    entry.card.dataset.samples = String(series?.t.length ?? 0);
    entry.usage.replaceChildren(
      series && series.t.length > 0
        ? `CPU ${series.cpuCores.toFixed(2)} cores (${share(series.cpu.at(-1))}) · memory ${formatBytes(series.memoryBytes)} (${share(series.memory.at(-1))})`
        : metricsNote,
    );
  }

  const stopMetrics = pollMetrics(
    ctx,
    (list) => {
      const updated = recordSamples(history, list, nodeByName);
      for (const name of updated) {
        const series = history.get(name);
        const entry = cards.get(name);
        if (series && entry) entry.chart.setData([series.t, series.cpu, series.memory]);
      }
      draw();
    },
    (note) => {
      metricsNote = note;
      draw();
    },
  );

  ctx.monitor.addEventListener('change', draw);
  nodes?.addEventListener('change', draw);
  draw();
  return () => {
    stopMetrics();
    ctx.monitor.removeEventListener('change', draw);
    nodes?.removeEventListener('change', draw);
    for (const entry of cards.values()) entry.chart.destroy();
  };
}

/**
 * Polls the metrics API every 2 s (it has no watch); tells `onNote` why nothing is drawn.
 * @param {PageContext} ctx
 * @param {(list: import('./kube-types.js').NodeMetricsList) => void} onList
 * @param {(note: string) => void} onNote
 */
function pollMetrics(ctx, onList, onNote) {
  const controller = new AbortController();
  void (async () => {
    while (!controller.signal.aborted) {
      try {
        // Longer than the agent's own 3 s scrape of each member, so that a slow member costs this
        // poll its sample, not the connection to a healthy agent.
        onList(await ctx.pool.json(NODE_METRICS_PATH, { signal: controller.signal, timeoutMs: 8000 }));
      } catch (error) {
        if (controller.signal.aborted) return;
        const code = /** @type {{ code?: number }} */ (error).code;
        onNote(code === 404 ? 'this agent serves no metrics API' : `metrics unavailable: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  })();
  return () => controller.abort(new Error('left the overview'));
}

/** @returns {uPlot.Options} */
function chartOptions() {
  return {
    width: 300,
    height: 130,
    legend: { show: true },
    scales: {
      x: {
        time: true,
        range: (u, min, max) => chartTimeRange(min, max, /** @type {number[]} */ (u.data[0])),
      },
      y: { range: [0, 100] },
    },
    axes: [{ size: 28 }, { size: 48, values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
    series: [
      {},
      { label: 'CPU', stroke: '#1f8a5b', width: 1.5, value: (_u, v) => (v == null ? '—' : `${v}%`) },
      { label: 'Memory', stroke: '#3b6fd4', width: 1.5, value: (_u, v) => (v == null ? '—' : `${v}%`) },
    ],
  };
}

/** @param {number | null | undefined} percent */
function share(percent) {
  return percent == null ? 'node size not known yet' : `${percent}%`;
}
