/**
 * The informers the current page needs, shared across pages. Each page names its resources in
 * order of how live they must be; the first `watchLimit` are watched, the rest polled. Over
 * HTTP/1.1 a browser opens at most 6 connections to one agent and each watch holds one for its
 * whole life, so a page that watched ten resources would starve its own requests. Over HTTP/2
 * (one connection, many streams) every resource is watched.
 */
import { Informer } from './informer.js';

/** @typedef {import('./agent-pool.js').AgentPool} AgentPool */

export class InformerSet {
  /**
   * @param {AgentPool} pool
   * @param {number} watchLimit
   */
  constructor(pool, watchLimit) {
    this.pool = pool;
    this.watchLimit = watchLimit;
    /** @type {Map<string, Informer>} by collection path */
    this.running = new Map();
  }

  /**
   * Makes exactly these resources live, in this priority; returns their informers by path.
   * @param {readonly string[]} paths
   * @returns {Map<string, Informer>}
   */
  require(paths) {
    /** @type {Map<string, Informer>} */
    const next = new Map();
    paths.forEach((path, i) => {
      const mode = i < this.watchLimit ? 'watch' : 'poll';
      const existing = this.running.get(path);
      if (existing && existing.mode === mode) {
        next.set(path, existing);
        return;
      }
      existing?.stop();
      const informer = new Informer(this.pool, path, mode);
      informer.start();
      next.set(path, informer);
    });
    for (const [path, informer] of this.running) if (!next.has(path)) informer.stop();
    this.running = next;
    return next;
  }

  stopAll() {
    for (const informer of this.running.values()) informer.stop();
    this.running = new Map();
  }
}

/**
 * 4 watches leave two of the six HTTP/1.1 connections for status, metrics and actions.
 * @param {string | undefined} protocol the page's nextHopProtocol (h2 for HTTP/2)
 */
export function watchLimitFor(protocol) {
  return protocol === 'h2' || protocol === 'h3' ? 32 : 4;
}
