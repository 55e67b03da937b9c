import type { Answer } from 'dns-packet';
import { type EndpointView, type ServiceEndpoint, serviceKey } from './endpoint-table-types.ts';
import { isHeadless, type ProxyService } from './service-types.ts';

export type DnsRcode = 'NOERROR' | 'NXDOMAIN';

export interface DnsResult {
  readonly rcode: DnsRcode;
  readonly answers: Answer[];
}

export interface DnsZoneOptions {
  /** The cluster domain (Kubernetes' default: cluster.local). */
  readonly domain: string;
  /** Short: the table changes by gossip within seconds, clients should not cache for long. */
  readonly ttl: number;
}

export const defaultDnsZoneOptions: DnsZoneOptions = { domain: 'cluster.local', ttl: 5 };

/**
 * The cluster's DNS names, computed from the Services and the endpoint table (pure):
 *   <svc>.<ns>.svc.<domain>            A: the ClusterIP; headless: every ready endpoint's address
 *   <host>.<svc>.<ns>.svc.<domain>     A: a headless Service's pod by hostname (StatefulSets), or
 *                                      by its address with dashes when it has no hostname
 *   _<port>._<proto>.<svc>.<ns>.svc... SRV for every named port
 * Any other name under the domain is NXDOMAIN (its parents exist, empty); names outside it are
 * not ours (undefined: the server forwards them).
 */
export class DnsZone {
  readonly #options: DnsZoneOptions;
  readonly #suffix: string;
  readonly #records = new Map<string, Answer[]>();
  /** Names that exist without records (parents of real names): NOERROR, not NXDOMAIN. */
  readonly #emptyNonTerminals = new Set<string>();

  constructor(
    services: readonly ProxyService[],
    view: EndpointView,
    options: DnsZoneOptions = defaultDnsZoneOptions,
  ) {
    this.#options = options;
    this.#suffix = `svc.${options.domain.toLowerCase()}`;
    for (const svc of services) this.#addService(svc, view.get(serviceKey(svc.namespace, svc.name)) ?? []);
  }

  /** The answer for one question, or undefined when the name is outside the cluster domain. */
  answer(name: string, type: string): DnsResult | undefined {
    const n = name.toLowerCase().replace(/\.$/, '');
    const domain = this.#options.domain.toLowerCase();
    if (n !== domain && !n.endsWith(`.${domain}`)) return undefined;
    const records = this.#records.get(n);
    if (records) return { rcode: 'NOERROR', answers: records.filter((r) => r.type === type) };
    if (this.#emptyNonTerminals.has(n) || n === domain) return { rcode: 'NOERROR', answers: [] };
    return { rcode: 'NXDOMAIN', answers: [] };
  }

  #addService(svc: ProxyService, endpoints: readonly ServiceEndpoint[]): void {
    const ttl = this.#options.ttl;
    const fqdn = `${svc.name}.${svc.namespace}.${this.#suffix}`.toLowerCase();
    const ready = endpoints.filter((e) => e.ready);
    const headless = isHeadless(svc);
    const podName = (e: ServiceEndpoint) =>
      `${(e.hostname ?? e.ip.replaceAll('.', '-')).toLowerCase()}.${fqdn}`;
    if (headless) {
      for (const ip of new Set(ready.map((e) => e.ip)))
        this.#add(fqdn, { type: 'A', name: fqdn, ttl, data: ip });
      for (const e of ready) this.#add(podName(e), { type: 'A', name: podName(e), ttl, data: e.ip });
    } else {
      this.#add(fqdn, { type: 'A', name: fqdn, ttl, data: svc.clusterIP });
    }
    for (const port of svc.ports) {
      if (port.name === '') continue;
      const srvName = `_${port.name}._${port.protocol.toLowerCase()}.${fqdn}`.toLowerCase();
      if (!headless) {
        this.#add(srvName, {
          type: 'SRV',
          name: srvName,
          ttl,
          data: { priority: 0, weight: 100, port: port.port, target: fqdn },
        });
        continue;
      }
      for (const e of ready.filter((x) => x.portName === port.name && x.protocol === port.protocol)) {
        this.#add(srvName, {
          type: 'SRV',
          name: srvName,
          ttl,
          data: { priority: 0, weight: 100, port: e.port, target: podName(e) },
        });
      }
      // A named port with no ready endpoint still exists as a name.
      this.#markExisting(srvName);
    }
  }

  #add(name: string, record: Answer): void {
    let list = this.#records.get(name);
    if (!list) {
      list = [];
      this.#records.set(name, list);
    }
    if (!list.some((r) => JSON.stringify(r) === JSON.stringify(record))) list.push(record);
    this.#markExisting(name);
  }

  #markExisting(name: string): void {
    const domainLabels = this.#options.domain.split('.').length;
    const labels = name.split('.');
    for (let i = 1; i < labels.length - domainLabels; i++) {
      const parent = labels.slice(i).join('.');
      if (!this.#records.has(parent)) this.#emptyNonTerminals.add(parent);
    }
    if (!this.#records.has(name)) this.#emptyNonTerminals.add(name);
  }
}
