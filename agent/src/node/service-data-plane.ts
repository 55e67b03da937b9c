/**
 * This node's service data plane: the proxy, DNS and ClusterIP addresses, fed by the Services the
 * agent caches from the API and the endpoint table merged by gossip, and this node's own endpoints
 * announced on gossip. Once the caches are filled, nothing here needs the control plane.
 *
 *   Services informer ─┐                          ┌─> gossip.setLocalEndpoints (this node's pods)
 *   LocalPods ─────────┼─ change (debounce 20 ms) ┼─> proxy.setServices / binder.sync(ClusterIPs)
 *                      │                          └─> DNS zone
 *   gossip 'endpoints' ┴─ at once ────────────────────> proxy.setEndpoints + DNS zone
 *   Nodes informer ──> gossip members; this agent's own Node re-annotated if its identity is missing
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
import { localEndpointEntries } from './local-endpoints.ts';
import type { LocalPods } from './local-pods.ts';
import { announcesGossip, membersOfNodes, type NodeGossip } from './node-gossip.ts';
import { proxyServiceOf } from './service-feed.ts';

export interface ServiceDataPlaneOptions {
  readonly client: ClusterClient;
  readonly nodeName: string;
  readonly gossip: NodeGossip;
  readonly pods: LocalPods;
  readonly proxy: ServiceProxy;
  readonly dns?: DnsServer;
  readonly binder?: VirtualIpBinder;
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
  const publishView = () => {
    const view = host.view();
    void o.proxy.setEndpoints(view).then(report);
    o.dns?.setZone(new DnsZone(proxyServices, view));
  };

  let timer: NodeJS.Timeout | undefined;
  const push = () => {
    timer = undefined;
    if (o.signal.aborted) return;
    const list = services.list() as unknown as Service[];
    proxyServices = list.map(proxyServiceOf).filter((s): s is ProxyService => s !== undefined);
    // Local first: if our entries changed, the view below already holds them.
    host.setLocalEndpoints(localEndpointEntries(list, o.pods.list()));
    void o.proxy.setServices(proxyServices).then(report);
    publishView();
    if (o.binder)
      void o.binder.sync(proxyServices.map((s) => s.clusterIP).filter((ip) => ip !== '0.0.0.0')).then(report);
  };
  const changed = () => {
    if (timer === undefined) timer = setTimeout(push, 20);
  };
  services.onChange(changed);
  const unsubscribePods = o.pods.onChange(changed);
  host.addEventListener('endpoints', publishView);

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
    },
    { once: true },
  );
  for (const informer of [services, nodes])
    void informer.run(o.signal).catch((e: unknown) => onError(e as Error, 'informer'));
  push();
}
