import type { EndpointView } from './endpoint-table-types.ts';
import type { ProxyError } from './proxy-error.ts';
import { diffPlans, type ListenerPlan, type ProxyPlanOptions, planProxy } from './proxy-plan.ts';
import type { ProxyService } from './service-types.ts';
import { TcpServiceListener } from './tcp-listener.ts';
import { UdpServiceListener } from './udp-listener.ts';

export interface ServiceProxyOptions extends ProxyPlanOptions {
  /** How long connections on a removed listener may take to finish. */
  readonly drainMs?: number;
  readonly random?: () => number;
  /**
   * A listener that could not bind (its port held by another process for a while) is tried again
   * on this schedule until it binds: first after `bindRetryMs`, doubling up to 10 s.
   */
  readonly bindRetryMs?: number;
  /** Hears the errors of those retries (the first attempt's errors are returned to the caller). */
  readonly onRetryErrors?: (errors: readonly ProxyError[]) => void;
}

const MAX_BIND_RETRY_MS = 10_000;

/**
 * The node's L4 proxy: holds one listener per planned Service port and takes it from plan to plan
 * as Services and the endpoint table change. Planning is pure (proxy-plan.ts); this applies the diff.
 */
export class ServiceProxy {
  readonly #options: ServiceProxyOptions;
  readonly #listeners = new Map<string, TcpServiceListener | UdpServiceListener>();
  #services: readonly ProxyService[] = [];
  #view: EndpointView = new Map();
  #applying: Promise<ProxyError[]> = Promise.resolve([]);
  #retry: ReturnType<typeof setTimeout> | undefined;
  #retryMs = 0;
  #closed = false;

  constructor(options: ServiceProxyOptions) {
    this.#options = options;
  }

  /** Listeners by key (`<protocol>/<address>/<port>`), for inspection and tests. */
  listeners(): ReadonlyMap<string, TcpServiceListener | UdpServiceListener> {
    return this.#listeners;
  }

  setServices(services: readonly ProxyService[]): Promise<ProxyError[]> {
    this.#services = services;
    return this.#reconcile();
  }

  setEndpoints(view: EndpointView): Promise<ProxyError[]> {
    this.#view = view;
    return this.#reconcile();
  }

  /** Closes every listener (draining up to drainMs). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#applying;
    const all = [...this.#listeners.values()];
    this.#listeners.clear();
    await Promise.all(all.map((l) => l.close(this.#options.drainMs)));
  }

  /** Applies are serialized so that two quick table updates never race on the same port. */
  #reconcile(): Promise<ProxyError[]> {
    this.#applying = this.#applying.then(async () => {
      const errors = await this.#apply();
      this.#scheduleRetry(errors);
      return errors;
    });
    return this.#applying;
  }

  /**
   * Nothing else would bind a failed listener again until the next Service or endpoint change,
   * which may never come: so a failure retries by itself, with back-off, until the port is free.
   */
  #scheduleRetry(errors: readonly ProxyError[]): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    if (errors.length === 0 || this.#closed) {
      this.#retryMs = 0;
      return;
    }
    const first = this.#options.bindRetryMs ?? 500;
    this.#retryMs = this.#retryMs === 0 ? first : Math.min(this.#retryMs * 2, MAX_BIND_RETRY_MS);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#reconcile().then((again) => {
        if (again.length > 0) this.#options.onRetryErrors?.(again);
      });
    }, this.#retryMs);
    this.#retry.unref?.();
  }

  async #apply(): Promise<ProxyError[]> {
    const plan = planProxy(this.#services, this.#view, this.#options);
    const current = new Map<string, ListenerPlan>([...this.#listeners].map(([k, l]) => [k, l.plan]));
    const diff = diffPlans(current, plan);
    const errors: ProxyError[] = [];
    for (const want of diff.update) this.#listeners.get(want.key)?.update(want);
    for (const key of diff.close) {
      const l = this.#listeners.get(key);
      this.#listeners.delete(key);
      // Stop accepting now; connections drain in the background so the next apply is not held up.
      void l?.close(this.#options.drainMs);
    }
    for (const want of diff.open) {
      const opts = this.#options.random ? { random: this.#options.random } : {};
      const l =
        want.protocol === 'TCP' ? new TcpServiceListener(want, opts) : new UdpServiceListener(want, opts);
      const err = await l.listen();
      if (err) errors.push(err);
      else this.#listeners.set(want.key, l);
    }
    return errors;
  }
}
