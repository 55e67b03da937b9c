/**
 * Polls the cluster status (every second, any agent answers) and keeps what the page shows of
 * the control plane: the members and their roles, the leader, the term, the timeline of leader
 * changes and which agent answered. Each document also tells the pool every agent's address,
 * which is how the page knows where to go when its agent dies.
 *
 *   every 1 s ─▶ GET /kedge/v1/cluster (1.5 s timeout) ─▶ ok ─▶ pool.setAgents, observeLeadership ─▶ 'change'
 *   (250 ms while no healthy leader is known, so the new one shows soon after it is elected)
 *                                                      └─ fails ─▶ pool moved on? poll again at once : wait
 *   pool 'switch' (a watch saw the agent die first) ─▶ poll now, through the new agent
 */
import { leadershipOf, observeLeadership } from './leader-timeline.js';

/** @typedef {import('./agent-pool.js').AgentPool} AgentPool */
/** @typedef {import('./kube-types.js').ClusterStatus} ClusterStatus */
/** @typedef {import('./leader-timeline.js').TimelineEntry} TimelineEntry */

export const CLUSTER_STATUS_PATH = '/kedge/v1/cluster';

export class ClusterMonitor extends EventTarget {
  /**
   * @param {AgentPool} pool
   * @param {{ intervalMs?: number, timeoutMs?: number }} [options]
   */
  constructor(pool, options = {}) {
    super();
    this.pool = pool;
    this.intervalMs = options.intervalMs ?? 1000;
    this.electionIntervalMs = Math.min(this.intervalMs, 250);
    this.timeoutMs = options.timeoutMs ?? 1500;
    /** @type {ClusterStatus | undefined} */
    this.status = undefined;
    /** @type {TimelineEntry[]} */
    this.timeline = [];
    /** @type {string} the agent that answered last */
    this.answeredBy = '';
    /** @type {string} why the last poll failed; '' when it did not */
    this.error = '';
    this.controller = new AbortController();
  }

  start() {
    this.pool.addEventListener('switch', this.onSwitch);
    void this.run();
  }

  stop() {
    this.pool.removeEventListener('switch', this.onSwitch);
    this.controller.abort(new Error('logged out'));
  }

  /** Ends the current wait early; replaced by each wait. */
  wake = () => {};

  /** Registered once; calls whichever wake the current wait installed. */
  onSwitch = () => this.wake();

  async run() {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      const asked = this.pool.current;
      try {
        const status = /** @type {ClusterStatus} */ (
          await this.pool.json(CLUSTER_STATUS_PATH, { signal, timeoutMs: this.timeoutMs })
        );
        this.status = status;
        this.answeredBy = asked;
        this.error = '';
        const leader = status.members.find((m) => m.id === status.leader);
        this.pool.setAgents(
          status.members.map((m) => m.apiAddress),
          leader?.apiAddress,
        );
        this.timeline = observeLeadership(this.timeline, status, Date.now());
      } catch (error) {
        if (signal.aborted) return;
        this.error = error instanceof Error ? error.message : String(error);
      }
      this.dispatchEvent(new Event('change'));
      // After a failure the pool has picked another agent: ask it now rather than a second later.
      if (this.error !== '' && this.pool.current !== asked) continue;
      const settled =
        this.error === '' && this.status !== undefined && leadershipOf(this.status).kind === 'leader';
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, settled ? this.intervalMs : this.electionIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve(undefined);
        };
      });
    }
  }
}
