/**
 * The node components every agent runs, voter or worker:
 *
 *   ApiClient (HTTPS, node certificate; own API first on a voter, else the voters)
 *     ├─> Kubelet(HttpNodeClient, podman runtime): registers the Node (real capacity), renews its
 *     │     Lease every 2 s, runs the pods bound here, writes their status back
 *     └─> service feed: Services + Endpoints informers ──> ServiceProxy (NodePorts on this node's
 *           address; ClusterIPs in 127.0.0.0/8 in loopback mode)
 *   NodeSampler (every 5 s) ──> /kedge/node/v1/summary, /metrics (node-routes.ts)
 *   Kubelet.podLogs ──> /kedge/node/v1/logs/{ns}/{pod}
 *
 * The kubelet starts once the API answers (a voter may start before any leader exists); a failed
 * start is retried with a fresh kubelet every second until it runs.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { ServiceProxy } from '../../../proxy/src/service-proxy.ts';
import type { Identity } from '../auth/tokens.ts';
import { Kubelet } from '../kubelet/kubelet.ts';
import { type NodeSampler, startNodeSampler } from '../metrics/node-sampler.ts';
import { defaultPodmanConfig } from '../runtime/podman-cli.ts';
import { createPodmanRuntime } from '../runtime/podman-runtime.ts';
import { ApiClient } from './api-client.ts';
import { HttpClusterReader } from './http-cluster-client.ts';
import { HttpNodeClient } from './http-node-client.ts';
import { nodeRoutes, type RouteHandler } from './node-routes.ts';
import { runServiceFeed } from './service-feed.ts';

export interface NodeContext {
  readonly nodeName: string;
  /** The address this agent advertises: pods' hostIP, NodePorts, the Node's InternalIP. */
  readonly address: string;
  readonly dataDir: string;
  readonly caPem: string;
  readonly nodeCert: { readonly cert: string; readonly key: string };
  /** API addresses to use, current at call time. */
  readonly apiUpstreams: () => readonly string[];
  /** Bearer tokens, on voters (for /metrics scraped with the admin token). */
  readonly authenticate?: (header: string | undefined) => Identity | undefined;
  readonly logger: Logger;
}

export interface NodeComponents {
  /** This agent's own routes (summary, logs, /metrics); false when the path is not one of them. */
  readonly routes: RouteHandler;
  /** Resolves once the kubelet runs. */
  readonly kubeletStarted: Promise<void>;
  stop(): Promise<void>;
}

export const SAMPLE_INTERVAL_MS = 5000;
const MAX_PODS = 110;

export async function startNodeComponents(ctx: NodeContext): Promise<NodeComponents> {
  const stopping = new AbortController();
  const signal = stopping.signal;
  const log = (message: string) => ctx.logger.warn(message, { node: ctx.nodeName });
  const runtime = await createPodmanRuntime({
    nodeName: ctx.nodeName,
    config: defaultPodmanConfig,
    stateDir: path.join(ctx.dataDir, 'runtime'),
  });
  const sampler: NodeSampler = startNodeSampler({
    dataDir: ctx.dataDir,
    intervalMs: SAMPLE_INTERVAL_MS,
    signal,
    onError: (error) => log(`node sample failed: ${(error as Error).message}`),
  });
  const kubeletDir = path.join(ctx.dataDir, 'kubelet');
  await mkdir(kubeletDir, { recursive: true, mode: 0o700 });
  const api = new ApiClient({ upstreams: ctx.apiUpstreams, ca: ctx.caPem, cert: ctx.nodeCert });

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
        },
        client: new HttpNodeClient(api),
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

  const proxy = new ServiceProxy({ clusterIpMode: 'loopback', nodeAddresses: [ctx.address] });
  runServiceFeed({ client: new HttpClusterReader(api), proxy, nodeName: ctx.nodeName, signal, log });

  const routes = nodeRoutes({
    nodeName: ctx.nodeName,
    runtime,
    sampler,
    samplerIntervalMs: SAMPLE_INTERVAL_MS,
    kubelet: () => kubelet,
    maxPods: MAX_PODS,
    ...(ctx.authenticate !== undefined ? { authenticate: ctx.authenticate } : {}),
  });

  return {
    routes,
    kubeletStarted,
    async stop() {
      stopping.abort();
      kubelet?.stop();
      await proxy.close();
    },
  };
}
