/**
 * The endpoints of agents SWIM declared dead, kept as a last resort (pure state, no I/O).
 *
 * The gossip table drops a dead agent's entries, and the survivors serve from the endpoints they
 * can vouch for. But a killed agent's containers usually keep running, and its pods' replacements
 * take seconds to start: when every replica of a Service sat on the dead agent (replacements land
 * on the survivors, so replicas pile up on whichever agent was never killed), dropping them left
 * the Service with no endpoint at all and every client was reset until a replacement was ready
 * (measured: 570 of 662 requests failed in one demo round). So a Service with no ready endpoint
 * in the table gets the dead agents' last ready endpoints back: if their containers still run,
 * clients are served; if the machine is gone, connects fail, the balancer ejects them and the
 * client is refused as it would have been anyway. Any ready endpoint from a live agent wins.
 *
 *   view (gossip table) ──observe──> last entries per origin (frozen while the origin is dead)
 *   view + dead origins ──withLastResort──> the proxy's view
 */
import type { EndpointView, ServiceEndpoint } from '../../../proxy/src/endpoint-table-types.ts';

export class LastResortEndpoints {
  /** The last endpoints each origin announced, by Service: current for live origins, frozen for dead ones. */
  readonly #byOrigin = new Map<string, Map<string, ServiceEndpoint[]>>();
  #serving: string[] = [];

  /** The Services the last view served from dead agents' endpoints (for the operator's log). */
  get serving(): readonly string[] {
    return this.#serving;
  }

  /**
   * The view to serve: `view`, plus the dead origins' last ready endpoints for every Service that
   * has no ready endpoint in it. Also records `view` for the next death.
   */
  withLastResort(view: EndpointView, isDead: (nodeId: string) => boolean): EndpointView {
    this.#observe(view, isDead);
    const serving = new Set<string>();
    let out: Map<string, readonly ServiceEndpoint[]> | undefined;
    for (const [origin, services] of this.#byOrigin) {
      if (!isDead(origin)) continue;
      for (const [service, endpoints] of services) {
        const current = (out ?? view).get(service) ?? [];
        if (current.some((e) => e.ready && !isDead(e.nodeId))) continue;
        out ??= new Map(view);
        out.set(service, [...current, ...endpoints]);
        serving.add(service);
      }
    }
    this.#serving = [...serving].sort();
    return out ?? view;
  }

  #observe(view: EndpointView, isDead: (nodeId: string) => boolean): void {
    const seen = new Map<string, Map<string, ServiceEndpoint[]>>();
    for (const [service, endpoints] of view)
      for (const e of endpoints) {
        if (e.local || !e.ready) continue; // our own pods are never a dead agent's
        let services = seen.get(e.nodeId);
        if (services === undefined) {
          services = new Map();
          seen.set(e.nodeId, services);
        }
        const list = services.get(service) ?? [];
        list.push(e);
        services.set(service, list);
      }
    // A live origin's record follows the table (also when it withdrew everything); a dead one's
    // stays as it was when it died, until it comes back and announces again.
    for (const origin of [...this.#byOrigin.keys()])
      if (!isDead(origin) && !seen.has(origin)) this.#byOrigin.delete(origin);
    for (const [origin, services] of seen) this.#byOrigin.set(origin, services);
  }
}
