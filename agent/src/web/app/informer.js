/**
 * One resource kept current in the page: list, then watch from the list's resourceVersion,
 * applying each NDJSON event to the cache. A stream that ends is resumed from the last
 * resourceVersion seen; a 410 (history compacted) lists again; a failed agent is left for the
 * next one the pool chose. In 'poll' mode it lists every few seconds instead (see main.js: a
 * browser keeps at most 6 HTTP/1.1 connections per agent, and each watch holds one).
 *
 *   list ─▶ cache, rv ─▶ watch?resourceVersion=rv ─▶ event ─▶ applyWatchEvent ─▶ onChange
 *     ▲                        │  ended ─▶ watch again from rv
 *     └────── 410 Expired ─────┘  agent failed ─▶ pool switched ─▶ watch again from rv there
 */
import { ApiError } from './agent-pool.js';
import { ndjsonValues } from './ndjson.js';
import { applyWatchEvent, cacheFromList } from './object-cache.js';

/** @typedef {import('./agent-pool.js').AgentPool} AgentPool */
/** @typedef {import('./kube-types.js').KubeObject} KubeObject */
/** @typedef {import('./kube-types.js').WatchEvent} WatchEvent */

export class Informer extends EventTarget {
  /**
   * @param {AgentPool} pool
   * @param {string} path the collection, e.g. /api/v1/pods
   * @param {'watch' | 'poll'} mode
   */
  constructor(pool, path, mode) {
    super();
    this.pool = pool;
    this.path = path;
    this.mode = mode;
    /** @type {{ objects: Map<string, KubeObject>, resourceVersion: string }} */
    this.cache = { objects: new Map(), resourceVersion: '' };
    this.synced = false;
    /** @type {string} what the informer is doing, for the page's status line */
    this.state = 'starting';
    this.controller = new AbortController();
    /** @type {AbortController | undefined} the current request, aborted when the pool switches */
    this.request = undefined;
    this.onSwitch = () => this.request?.abort(new Error('the page moved to another agent'));
  }

  start() {
    this.pool.addEventListener('switch', this.onSwitch);
    void this.run();
  }

  stop() {
    this.pool.removeEventListener('switch', this.onSwitch);
    this.controller.abort(new Error('no page needs this resource now'));
  }

  /** @returns {KubeObject[]} */
  items() {
    return [...this.cache.objects.values()];
  }

  async run() {
    const stopped = this.controller.signal;
    let relist = true;
    let failures = 0;
    while (!stopped.aborted) {
      this.request = new AbortController();
      const signal = AbortSignal.any([stopped, this.request.signal]);
      try {
        if (relist || this.mode === 'poll') {
          await this.list(signal);
          relist = false;
        }
        if (this.mode === 'poll') {
          await sleep(3000, signal);
          continue;
        }
        relist = await this.watch(signal);
        failures = 0;
      } catch (error) {
        if (stopped.aborted) return;
        if (this.request.signal.aborted) continue; // the pool switched agents: watch again there at once
        failures++;
        this.setState(`retrying: ${error instanceof Error ? error.message : String(error)}`);
        // The first retry is immediate: a stream cut by a dying agent fails its next request at
        // once, which moves the pool to another agent; backing off here would only delay that.
        const delay = failures === 1 ? 0 : Math.min(2000, 100 * 2 ** failures);
        // A rejection here is stop() itself, which the loop condition then ends on.
        await sleep(delay, stopped).catch((reason) => reason);
      }
    }
  }

  /** @param {AbortSignal} signal */
  async list(signal) {
    this.setState('listing');
    const list = await this.pool.json(this.path, { signal });
    this.cache = cacheFromList(list);
    this.synced = true;
    this.changed();
  }

  /**
   * Follows the watch stream until it ends; true when the history expired and a list is needed.
   * @param {AbortSignal} signal
   */
  async watch(signal) {
    const query = `watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${encodeURIComponent(this.cache.resourceVersion)}`;
    const response = await this.pool.fetch(`${this.path}?${query}`, { signal });
    if (response.status === 410) return true;
    if (!response.ok || response.body === null) {
      throw new ApiError(response.status, await response.json().catch((e) => ({ message: String(e) })));
    }
    this.setState(`watching from ${this.cache.resourceVersion}`);
    for await (const value of ndjsonValues(response.body)) {
      const event = /** @type {WatchEvent} */ (value);
      const outcome = applyWatchEvent(this.cache, event);
      if (outcome === 'expired') return true;
      if (outcome === 'failed') throw new ApiError(event.object.code ?? 500, event.object);
      if (outcome === 'changed') this.changed();
    }
    return false;
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }

  /** @param {string} state */
  setState(state) {
    this.state = state;
    this.dispatchEvent(new Event('state'));
  }
}

/**
 * @param {number} ms
 * @param {AbortSignal} signal
 */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
