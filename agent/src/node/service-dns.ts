/**
 * Service DNS on this agent, and what pods are told about it.
 *
 *   one agent per machine (a routable address): <address>:53, and pods get it as their nameserver
 *     with Kubernetes' search list (<ns>.svc.cluster.local svc.cluster.local cluster.local, ndots:5)
 *   several agents on one machine (`kedge up`, loopback addresses) or no privilege for port 53:
 *     <address>:<API port + 400>; pods keep the runtime's resolver (a nameserver line cannot name a
 *     port, and containers cannot reach the host's loopback)
 *   names outside cluster.local go to the host's resolver (first nameserver of /etc/resolv.conf)
 */
import { readFile } from 'node:fs/promises';
import { DnsServer } from '../../../proxy/src/dns-server.ts';
import { DnsZone } from '../../../proxy/src/dns-zone.ts';
import type { ContainerRuntime, DnsConfig, PodSandboxConfig } from '../runtime/runtime.ts';

export const DNS_PORT_OFFSET = 400;
export const CLUSTER_DOMAIN = 'cluster.local';

export interface ServiceDns {
  readonly server: DnsServer;
  readonly address: string;
  readonly port: number;
  /** Pods can use it as their nameserver (port 53 on an address containers can reach). */
  readonly forPods: boolean;
}

/** A machine's agents share it when they advertise loopback addresses (kedge up). */
export const sharesMachine = (address: string): boolean => address.startsWith('127.');

/** The first nameserver of resolv.conf text that is not `self`. Pure. */
export function upstreamResolver(resolvConf: string, self: string): string | undefined {
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[1] !== self) return m[1];
  }
  return undefined;
}

/** Starts the DNS server on `address` (53 if it may, else API port + 400). */
export async function startServiceDns(
  address: string,
  apiPort: number,
  log: (message: string) => void,
): Promise<ServiceDns | Error> {
  let upstream: string | undefined;
  try {
    upstream = upstreamResolver(await readFile('/etc/resolv.conf', 'utf8'), address);
  } catch (error) {
    log(
      `service DNS: no upstream resolver (${(error as Error).message}); names outside ${CLUSTER_DOMAIN} are refused`,
    );
  }
  const highPort = apiPort + DNS_PORT_OFFSET;
  const ports = sharesMachine(address) ? [highPort] : [53, highPort];
  let lastError: Error | undefined;
  for (const port of ports) {
    const server = new DnsServer(new DnsZone([], new Map()), {
      address,
      port,
      ...(upstream !== undefined ? { upstream: { address: upstream, port: 53 } } : {}),
    });
    const failed = await server.listen();
    if (failed === undefined) return { server, address, port, forPods: port === 53 };
    lastError = failed;
    await server.close().catch(() => undefined);
    log(`service DNS: ${failed.message}${port === 53 ? `; trying port ${highPort}` : ''}`);
  }
  return lastError ?? new Error('service DNS could not start');
}

/** The pod's resolver settings when the agent's DNS serves pods. Pure. */
export function podDnsConfig(server: string, namespace: string): DnsConfig {
  return {
    servers: [server],
    searches: [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN],
    options: ['ndots:5'],
  };
}

/**
 * The runtime with the agent's DNS put into every new pod sandbox (the kubelet's sandbox config has
 * no DNS of its own yet, so every pod is treated as dnsPolicy ClusterFirst).
 */
export function withPodDns(runtime: ContainerRuntime, server: string): ContainerRuntime {
  const createPodSandbox = (config: PodSandboxConfig) =>
    runtime.createPodSandbox(
      config.dns ? config : { ...config, dns: podDnsConfig(server, config.namespace) },
    );
  return new Proxy(runtime, {
    get(target, property) {
      if (property === 'createPodSandbox') return createPodSandbox;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
