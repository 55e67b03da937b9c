/**
 * Every call the page makes goes through here: the agents it knows (from the cluster status),
 * the one it talks to now, and the bearer token. When the current agent stops answering, the
 * pool moves to another — the leader first, then the others in turn — and tells its listeners
 * ('switch'), so that watches reconnect there without a page reload.
 *
 *   fetch(path) ─▶ current agent ── answers ──▶ Response (401 ─▶ 'unauthorized')
 *                               └─ network error / timeout ─▶ failed(agent) ─▶ next agent ─▶ 'switch'
 */

export class AgentUnreachable extends Error {
  /** @param {string} origin @param {unknown} cause */
  constructor(origin, cause) {
    super(
      `${origin} did not answer (${cause instanceof Error ? cause.message : String(cause)}); trying another agent`,
    );
    this.kind = 'Unavailable';
    this.origin = origin;
  }
}

export class AgentPool extends EventTarget {
  /**
   * @param {string} token the bearer token
   * @param {string} origin the agent the page came from, e.g. https://10.0.0.5:6443
   */
  constructor(token, origin) {
    super();
    this.token = token;
    this.current = origin;
    /** @type {string[]} every agent's origin, the page's own first */
    this.origins = [origin];
    /** @type {string | undefined} */
    this.leaderOrigin = undefined;
    /** @type {Map<string, number>} origin -> when it last failed (ms) */
    this.failedAt = new Map();
  }

  /**
   * Learns the agents from a cluster-status document.
   * @param {readonly string[]} apiAddresses host:port of each agent
   * @param {string | undefined} leaderAddress
   */
  setAgents(apiAddresses, leaderAddress) {
    const known = apiAddresses.map((a) => `https://${a}`);
    this.origins = [...new Set([this.current, ...known])];
    this.leaderOrigin = leaderAddress ? `https://${leaderAddress}` : undefined;
  }

  /**
   * A request to the current agent with the token. Non-streaming calls time out after
   * `timeoutMs`, which counts as the agent failing.
   * @param {string} path
   * @param {RequestInit & { timeoutMs?: number }} [init]
   * @returns {Promise<Response>}
   */
  async fetch(path, init = {}) {
    const origin = this.current;
    const { timeoutMs, ...rest } = init;
    const signals = [rest.signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      /** @returns {s is AbortSignal} */ (s) => s !== undefined && s !== null,
    );
    let response;
    try {
      response = await fetch(origin + path, {
        ...rest,
        ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
        headers: { Accept: 'application/json', ...rest.headers, Authorization: `Bearer ${this.token}` },
      });
    } catch (error) {
      // The caller's own abort (a page change) is not the agent's fault.
      if (rest.signal?.aborted) throw error;
      this.failed(origin, error);
      throw new AgentUnreachable(origin, error);
    }
    if (response.status === 401) this.dispatchEvent(new CustomEvent('unauthorized'));
    return response;
  }

  /**
   * JSON of a successful reply; a Status error otherwise.
   * @param {string} path
   * @param {RequestInit & { timeoutMs?: number }} [init]
   * @returns {Promise<any>}
   */
  async json(path, init = {}) {
    const response = await this.fetch(path, { timeoutMs: 5000, ...init });
    /** @type {unknown} */
    let unreadable;
    const body = await response.json().catch((error) => {
      unreadable = error;
      return { message: `unreadable reply: ${error instanceof Error ? error.message : error}` };
    });
    if (!response.ok) throw new ApiError(response.status, body);
    // A 2xx whose body broke off (a timeout, a lost agent) is no answer: never hand it on as one.
    if (unreadable !== undefined) throw new ApiError(502, body);
    return body;
  }

  /**
   * Marks an agent as failed and moves to the next one (once per failure of the current agent).
   * @param {string} origin
   * @param {unknown} error
   */
  failed(origin, error) {
    this.failedAt.set(origin, Date.now());
    if (origin !== this.current) return;
    const next = this.nextOrigin(origin);
    if (next === origin) return;
    this.current = next;
    this.dispatchEvent(
      new CustomEvent('switch', {
        detail: { from: origin, to: next, reason: error instanceof Error ? error.message : String(error) },
      }),
    );
  }

  /**
   * The leader unless it is the one that failed, else the first agent after `failed` that has not
   * failed in the last 3 s, else simply the next one.
   * @param {string} failed
   */
  nextOrigin(failed) {
    const recent = (/** @type {string} */ o) => Date.now() - (this.failedAt.get(o) ?? 0) < 3000;
    if (this.leaderOrigin && this.leaderOrigin !== failed && !recent(this.leaderOrigin))
      return this.leaderOrigin;
    const start = this.origins.indexOf(failed);
    const ordered = [...this.origins.slice(start + 1), ...this.origins.slice(0, Math.max(0, start))];
    return ordered.find((o) => !recent(o)) ?? ordered[0] ?? failed;
  }
}

/** A reply with an error status; `status` is the API's Status document when it sent one. */
export class ApiError extends Error {
  /** @param {number} code @param {any} status */
  constructor(code, status) {
    super(typeof status?.message === 'string' ? status.message : `HTTP ${code}`);
    this.code = code;
    this.kind = typeof status?.reason === 'string' ? status.reason : `HTTP${code}`;
    this.status = status;
  }
}
