/**
 * The node components every agent runs, voter or worker:
 *
 *   ApiClient (HTTPS, node certificate; own API first on a voter, else the voters)
 *     ├─> Kubelet(HttpNodeClient observed by LocalPods, podman runtime): registers the Node (real
 *     │     capacity), renews its Lease every 2 s, runs the pods bound here, writes their status back
 *     └─> service data plane (service-data-plane.ts): gossip host (node-gossip.ts) announcing this
 *           node's endpoints, ServiceProxy fed by the merged table, service DNS (service-dns.ts),
 *           ClusterIPs bound on kedge0 when privileged (VirtualIpBinder)
 *     └─> edge data plane (edge-data-plane.ts): Ingress proxy (HTTP/HTTPS) and, when asked for on a
 *           machine of its own, the nft kernel fast path, fed by the same gossip table
 *   NodeSampler (every 5 s) ──> /kedge/node/v1/summary, /metrics (node-routes.ts)
 *   Kubelet.podLogs ──> /kedge/node/v1/logs/{ns}/{pod}
 *   Kubelet.execTarget + podman exec ──> /kedge/node/v1/exec/{ns}/{pod} (WebSocket|SPDY, node-exec.ts)
 *   Kubelet.portForwardTarget + TCP to the pod ──> /kedge/node/v1/portforward/{ns}/{pod} (node-port-forward.ts)
 *
 * The kubelet starts once the API answers (a voter may start before any leader exists); a failed
 * start is retried with a fresh kubelet every second until it runs.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { ServiceProxy } from '../../../proxy/src/service-proxy.ts';
import type { UpgradeHandler } from '../apiserver/streaming/upgrade-tunnel.ts';
import type { Identity } from '../auth/tokens.ts';
import type { NodeHealthSource } from '../controllers/node/config.ts';
import { GossipError } from '../gossip/gossip-error.ts';
import type { GossipTiming } from '../gossip/gossip-host.ts';
import { Kubelet } from '../kubelet/kubelet.ts';
import { type NodeSampler, startNodeSampler } from '../metrics/node-sampler.ts';
import { defaultPodmanConfig } from '../runtime/podman-cli.ts';
import { createPodmanRuntime } from '../runtime/podman-runtime.ts';
import { ServiceIpError } from '../services/service-ip-error.ts';
import { VirtualIpBinder } from '../services/virtual-ip-binder.ts';
import { ApiClient } from './api-client.ts';
import { type EdgeDataPlane, startEdgeDataPlane } from './edge-data-plane.ts';
import { HttpClusterReader } from './http-cluster-client.ts';
import { HttpNodeClient } from './http-node-client.ts';
import { ingressStatusApiOverHttp } from './ingress-status.ts';
import { LocalPods, observingNodeClient } from './local-pods.ts';
import { nodeExecUpgrades } from './node-exec.ts';
import { announceOnNode, GOSSIP_PORT_OFFSET, gossipHealth, startNodeGossip } from './node-gossip.ts';
import { nodePortForwardUpgrades } from './node-port-forward.ts';
import { nodeRoutes, type RouteHandler } from './node-routes.ts';
import { ServiceCacheFile } from './service-cache-file.ts';
import { runServiceDataPlane } from './service-data-plane.ts';
import { type ServiceDns, sharesMachine, startServiceDns, withPodDns } from './service-dns.ts';

export interface NodeContext {
  readonly nodeName: string;
  /** The address this agent advertises: pods' hostIP, NodePorts, the Node's InternalIP. */
  readonly address: string;
  /** This agent's API port: gossip listens on it + 300, DNS (unless on 53) on it + 400. */
  readonly apiPort: number;
  readonly dataDir: string;
  readonly caPem: string;
  readonly nodeCert: { readonly cert: string; readonly key: string };
  /** API addresses to use, current at call time. */
  readonly apiUpstreams: () => readonly string[];
  /** Bearer tokens, on voters (for /metrics scraped with the admin token). */
  readonly authenticate?: (header: string | undefined) => Identity | undefined;
  readonly logger: Logger;
  readonly gossipTiming?: Partial<GossipTiming>;
}

export interface NodeComponents {
  /** This agent's own routes (summary, logs, /metrics); false when the path is not one of them. */
  readonly routes: RouteHandler;
  /** This agent's upgrade endpoints (exec, port-forward); false when the path is not one of them. */
  readonly upgrades: UpgradeHandler;
  /** Resolves once the kubelet runs. */
  readonly kubeletStarted: Promise<void>;
  /** SWIM's view of the members, for the node lifecycle controller (undefined: gossip did not start). */
  readonly health: NodeHealthSource | undefined;
  /** Where this agent answers service DNS. */
  readonly dns: { readonly address: string; readonly port: number } | undefined;
  stop(): Promise<void>;
}

export const SAMPLE_INTERVAL_MS = 5000;
const MAX_PODS = 110;

export async function startNodeComponents(ctx: NodeContext): Promise<NodeComponents> {
  const stopping = new AbortController();
  const signal = stopping.signal;
  const log = (message: string) => ctx.logger.warn(message, { node: ctx.nodeName });
  const dns: ServiceDns | Error = await startServiceDns(ctx.address, ctx.apiPort, log);
  if (dns instanceof Error) log(`service DNS is off: ${dns.message}`);
  const podmanRuntime = await createPodmanRuntime({
    nodeName: ctx.nodeName,
    config: defaultPodmanConfig,
    stateDir: path.join(ctx.dataDir, 'runtime'),
  });
  const runtime =
    dns instanceof Error || !dns.forPods ? podmanRuntime : withPodDns(podmanRuntime, dns.address);
  const sampler: NodeSampler = startNodeSampler({
    dataDir: ctx.dataDir,
    intervalMs: SAMPLE_INTERVAL_MS,
    signal,
    onError: (error) => log(`node sample failed: ${(error as Error).message}`),
  });
  const kubeletDir = path.join(ctx.dataDir, 'kubelet');
  await mkdir(kubeletDir, { recursive: true, mode: 0o700 });
  const api = new ApiClient({ upstreams: ctx.apiUpstreams, ca: ctx.caPem, cert: ctx.nodeCert });
  const localPods = new LocalPods();

  let kubelet: Kubelet | undefined;
  const kubeletStarted = (async () => {
    let attempt = 0;
    while (!signal.aborted) {
      const candidate = new Kubelet({
        config: {
          nodeName: ctx.nodeName,
          dataDir: kubeletDir,
          nodeAddress: ctx.address,
          leaseRenewIntervalMs: 2000,
          nodeStatusIntervalMs: 10_000,
          maxPods: MAX_PODS,
          // Pods get their ServiceAccount's token, ca.crt and namespace, and KUBERNETES_SERVICE_*
          // naming this agent's API (serviceaccounts/; the token comes from HttpNodeClient).
          serviceAccount: { apiHost: ctx.address, apiPort: ctx.apiPort, caCertPem: ctx.caPem },
        },
        client: observingNodeClient(new HttpNodeClient(api), localPods),
        runtime,
        log,
      });
      try {
        await candidate.start();
        if (signal.aborted) candidate.stop();
        else {
          kubelet = candidate;
          ctx.logger.info('kubelet running', { node: ctx.nodeName, attempts: attempt + 1 });
        }
        return;
      } catch (error) {
        candidate.stop();
        // The first failures are expected while the control plane elects its first leader.
        if (attempt++ % 10 === 9) log(`kubelet cannot start yet: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();

  // Several agents on one machine cannot all hold the same ClusterIPs: they serve NodePorts only.
  const binder = sharesMachine(ctx.address) ? undefined : await VirtualIpBinder.start();
  if (binder instanceof ServiceIpError) log(`ClusterIPs are not bound: ${binder.message}`);
  const boundBinder = binder instanceof VirtualIpBinder ? binder : undefined;
  if (boundBinder?.mode === 'loopback') log(boundBinder.reason ?? 'ClusterIPs are not bound (loopback mode)');
  const proxy = new ServiceProxy({
    clusterIpMode: boundBinder?.mode ?? 'loopback',
    nodeAddresses: [ctx.address],
    drainMs: 5000,
    onRetryErrors: (errors) => {
      for (const e of errors) log(`service proxy (retrying): ${e.message}`);
    },
  });
  const gossip = await startNodeGossip({
    nodeName: ctx.nodeName,
    ip: ctx.address,
    port: ctx.apiPort + GOSSIP_PORT_OFFSET,
    dataDir: ctx.dataDir,
    log,
    ...(ctx.gossipTiming ? { timing: ctx.gossipTiming } : {}),
  });
  if (gossip instanceof GossipError) log(`gossip is off, services are not served here: ${gossip.message}`);
  // Ingress and the nft fast path (edge-config.ts says where and when), from the same table.
  const edge: EdgeDataPlane | undefined =
    gossip instanceof GossipError
      ? undefined
      : await startEdgeDataPlane({
          address: ctx.address,
          apiPort: ctx.apiPort,
          client: new HttpClusterReader(api),
          gossip,
          ingressStatusApi: ingressStatusApiOverHttp(api),
          signal,
          log,
        });
  if (edge?.ingressPorts)
    ctx.logger.info('ingress serving', {
      node: ctx.nodeName,
      ...edge.ingressPorts,
      kernelFastPath: edge.kernelFastPath,
    });
  if (!(gossip instanceof GossipError))
    runServiceDataPlane({
      client: new HttpClusterReader(api),
      nodeName: ctx.nodeName,
      gossip,
      pods: localPods,
      proxy,
      ...(dns instanceof Error ? {} : { dns: dns.server }),
      ...(boundBinder?.mode === 'virtual' ? { binder: boundBinder } : {}),
      cache: new ServiceCacheFile(path.join(ctx.dataDir, 'proxy'), log),
      announce: async () => (await announceOnNode(api, ctx.nodeName, gossip.peerId, gossip.address))?.message,
      signal,
      log,
    });

  const routes = nodeRoutes({
    nodeName: ctx.nodeName,
    runtime,
    sampler,
    samplerIntervalMs: SAMPLE_INTERVAL_MS,
    kubelet: () => kubelet,
    maxPods: MAX_PODS,
    ...(gossip instanceof GossipError
      ? {}
      : {
          gossipState: () => ({
            node: ctx.nodeName,
            members: gossip.host.membership.digest(),
            view: Object.fromEntries(gossip.host.view()),
          }),
        }),
    ...(ctx.authenticate !== undefined ? { authenticate: ctx.authenticate } : {}),
  });

  const exec = nodeExecUpgrades({
    nodeName: ctx.nodeName,
    kubelet: () => kubelet,
    cli: podmanRuntime.cli,
    log,
  });
  const portForward = nodePortForwardUpgrades({ nodeName: ctx.nodeName, kubelet: () => kubelet, log });
  const upgrades: UpgradeHandler = (req, socket, head) =>
    exec(req, socket, head) || portForward(req, socket, head);

  return {
    routes,
    upgrades,
    kubeletStarted,
    health: gossip instanceof GossipError ? undefined : gossipHealth(gossip.host),
    dns: dns instanceof Error ? undefined : { address: dns.address, port: dns.port },
    async stop() {
      stopping.abort();
      kubelet?.stop();
      await proxy.close();
      await edge?.stop();
      if (!(gossip instanceof GossipError)) await gossip.stop();
      if (!(dns instanceof Error)) await dns.server.close();
      // The addresses stay bound: pods keep running across an agent restart, so do their Services.
    },
  };
}
