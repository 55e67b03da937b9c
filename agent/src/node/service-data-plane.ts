/**
 * This node's service data plane: the proxy, DNS and ClusterIP addresses, fed by the Services the
 * agent caches from the API and the endpoint table merged by gossip, and this node's own endpoints
 * announced on gossip. Once the caches are filled, nothing here needs the control plane.
 *
 *   Services informer ─┐                          ┌─> gossip.setLocalEndpoints (this node's pods)
 *   LocalPods ─────────┼─ change (debounce 20 ms) ┼─> proxy.setServices / binder.sync(ClusterIPs)
 *                      │                          └─> DNS zone
 *   gossip 'endpoints' ┴─ at once ─ + last resort ────> proxy.setEndpoints + DNS zone
 *     (and 'member')       (last-resort-endpoints.ts: a dead agent's endpoints for a Service
 *                           that has no other ready endpoint)
 *   Nodes informer ──> gossip members; this agent's own Node re-annotated if its identity is missing
 *
 * A restarted agent serves at once: until the Services informer has listed, the proxy gets the
 * Services saved on disk (service-cache-file.ts) and the gossip table persisted by the host; and
 * this node keeps announcing its persisted entries until both the Services and its kubelet's pods
 * are known (an empty list before that means "not known yet", not "no endpoints").
 */

import type { DnsServer } from '../../../proxy/src/dns-server.ts';
import { DnsZone } from '../../../proxy/src/dns-zone.ts';
import type { ServiceProxy } from '../../../proxy/src/service-proxy.ts';
import type { ProxyService } from '../../../proxy/src/service-types.ts';
import type { Node, Service } from '../api/types/core.ts';
import { type ClusterClient, NODES, SERVICES } from '../controllers/runtime/client.ts';
import { systemClock } from '../controllers/runtime/clock.ts';
import { Informer } from '../controllers/runtime/informer.ts';
import type { VirtualIpBinder } from '../services/virtual-ip-binder.ts';
import { LastResortEndpoints } from './last-resort-endpoints.ts';
import { localEndpointEntries } from './local-endpoints.ts';
import type { LocalPods } from './local-pods.ts';
import { announcesGossip, membersOfNodes, type NodeGossip } from './node-gossip.ts';
import type { ServiceCacheFile } from './service-cache-file.ts';
import { proxyServiceOf } from './service-feed.ts';

export interface ServiceDataPlaneOptions {
  readonly client: ClusterClient;
  readonly nodeName: string;
  readonly gossip: NodeGossip;
  readonly pods: LocalPods;
  readonly proxy: ServiceProxy;
  readonly dns?: DnsServer;
  readonly binder?: VirtualIpBinder;
  /** Where the Services are kept for the next start. */
  readonly cache: ServiceCacheFile;
  /** Puts this agent's gossip identity on its Node (retried while it fails). */
  readonly announce: () => Promise<string | undefined>;
  readonly signal: AbortSignal;
  readonly log: (message: string) => void;
}

/** Runs until the signal aborts. */
export function runServiceDataPlane(o: ServiceDataPlaneOptions): void {
  const onError = (error: Error, what: string) => o.log(`service data plane: ${what}: ${error.message}`);
  const services = new Informer(o.client, SERVICES, { clock: systemClock, onError });
  const nodes = new Informer(o.client, NODES, { clock: systemClock, onError });
  const host = o.gossip.host;
  const report = (errors: readonly { message: string }[]) => {
    for (const e of errors) o.log(e.message);
  };
  let proxyServices: ProxyService[] = [];
  const lastResort = new LastResortEndpoints();
  const publishView = () => {
    const before = lastResort.serving.join(', ');
    const view = lastResort.withLastResort(host.view(), (n) => host.membership.status(n) === 'dead');
    const now = lastResort.serving.join(', ');
    if (now !== before)
      o.log(
        now === ''
          ? 'service data plane: every Service has a ready endpoint on a live agent again'
          : `service data plane: no ready endpoint on a live agent for ${now}: serving the dead agents' last endpoints`,
      );
    void o.proxy.setEndpoints(view).then(report);
    o.dns?.setZone(new DnsZone(proxyServices, view));
  };

  /** The Services saved by the last run, served until the informer has listed. */
  let cached: readonly Service[] | undefined;
  let servicesChanged = true;
  let timer: NodeJS.Timeout | undefined;
  const push = () => {
    timer = undefined;
    if (o.signal.aborted) return;
    const listed = services.hasSynced;
    if (!listed && cached === undefined) return; // nothing to serve yet: the cache is still loading
    const list = listed ? (services.list() as unknown as Service[]) : (cached ?? []);
    if (listed && servicesChanged) {
      servicesChanged = false;
      void o.cache.save(list);
    }
    proxyServices = list.map(proxyServiceOf).filter((s): s is ProxyService => s !== undefined);
    // Local first: if our entries changed, the view below already holds them.
    if (listed && o.pods.listed) host.setLocalEndpoints(localEndpointEntries(list, o.pods.list()));
    void o.proxy.setServices(proxyServices).then(report);
    publishView();
    if (o.binder)
      void o.binder.sync(proxyServices.map((s) => s.clusterIP).filter((ip) => ip !== '0.0.0.0')).then(report);
  };
  const changed = () => {
    if (timer === undefined) timer = setTimeout(push, 20);
  };
  services.onChange(() => {
    servicesChanged = true;
    changed();
  });
  const unsubscribePods = o.pods.onChange(changed);
  host.addEventListener('endpoints', publishView);
  // A death or a return changes which last-resort endpoints apply, even when the table did not change.
  host.addEventListener('member', publishView);

  let announcing = false;
  const followNodes = () => {
    const all = nodes.list() as unknown as Node[];
    void o.gossip.setMembers(membersOfNodes(all)).catch((e: Error) => onError(e, 'gossip members'));
    const own = all.find((n) => n.metadata.name === o.nodeName);
    if (own !== undefined && !announcing && !announcesGossip(own, o.gossip.peerId, o.gossip.address)) {
      announcing = true;
      void o.announce().then((problem) => {
        announcing = false;
        if (problem !== undefined) o.log(`cannot announce this node's gossip identity yet: ${problem}`);
      });
    }
  };
  nodes.onChange(followNodes);
  // A failed announcement is tried again with the next Node change (the heartbeat writes it every 10 s).

  o.signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      unsubscribePods();
      host.removeEventListener('endpoints', publishView);
      host.removeEventListener('member', publishView);
    },
    { once: true },
  );
  for (const informer of [services, nodes])
    void informer.run(o.signal).catch((e: unknown) => onError(e as Error, 'informer'));
  // A list with nothing in it changes nothing in the cache, so no handler runs: push on sync too.
  void services.synced.then(changed);
  void o.cache.load().then((saved) => {
    cached = saved;
    if (!services.hasSynced) push();
  });
}
