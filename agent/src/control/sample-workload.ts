/**
 * `kedge up`'s sample workload: a Deployment `hello` (busybox httpd on 8080 serving a page that
 * names its pod) behind a NodePort Service `hello`, applied through the API with the admin token,
 * then watched until every replica is Running and ready. Also what `kedge down` uses to remove
 * the containers a local cluster's agents created (by the runtime's io.kedge.node label).
 */

import type { Node } from '../api/types/core.ts';
import type { Pod } from '../api/types/pod.ts';
import { callAgent } from '../cluster/agent-client.ts';
import { LABEL } from '../runtime/labels.ts';
import { defaultPodmanConfig } from '../runtime/podman-cli.ts';
import { createPodmanRuntime } from '../runtime/podman-runtime.ts';

export const SAMPLE_IMAGE = 'localhost/kedge/busybox:latest';

export interface SampleOptions {
  readonly apiAddress: string;
  readonly caPem: string;
  readonly token: string;
  readonly replicas?: number;
  readonly nodePort?: number;
  /** Wait until this many Nodes are Ready first, so the replicas spread over the cluster. */
  readonly nodes?: number;
  readonly progress?: (line: string) => void;
  readonly timeoutMs?: number;
}

export interface SamplePod {
  readonly name: string;
  readonly node: string;
  readonly ip: string;
}

export interface SampleResult {
  readonly pods: readonly SamplePod[];
  /** From the apply until every replica was Running and ready. */
  readonly runningMs: number;
  readonly nodePort: number;
}

export class SampleWorkloadError extends Error {
  readonly kind = 'SampleWorkload';
}

export function sampleManifests(replicas: number, nodePort: number): { deployment: object; service: object } {
  const labels = { app: 'hello' };
  return {
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'hello', namespace: 'default', labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: 'web',
                image: SAMPLE_IMAGE,
                command: [
                  'sh',
                  '-c',
                  // Lame duck: on SIGTERM keep serving 2 s while the proxies drop this endpoint
                  // (the kubelet has no preStop hooks yet), then stop.
                  'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && httpd -f -p 8080 -h /www & pid=$!; trap "sleep 2; kill $pid; exit 0" TERM; wait $pid',
                ],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hello', namespace: 'default', labels },
      spec: {
        type: 'NodePort',
        selector: labels,
        ports: [{ port: 80, targetPort: 8080, nodePort }],
      },
    },
  };
}

const isReady = (pod: Pod) =>
  pod.status?.phase === 'Running' &&
  (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export async function deploySampleWorkload(options: SampleOptions): Promise<SampleResult> {
  const replicas = options.replicas ?? 3;
  const nodePort = options.nodePort ?? 30080;
  const say = options.progress ?? (() => {});
  const call = (path: string, body?: unknown) =>
    callAgent(options.apiAddress, path, { ca: options.caPem, token: options.token, body, timeoutMs: 10_000 });
  const { deployment, service } = sampleManifests(replicas, nodePort);
  let deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (let readyNodes = -1; readyNodes < (options.nodes ?? 0); ) {
    const reply = await call('/api/v1/nodes').catch(() => undefined);
    const nodes = reply?.status === 200 ? ((reply.json as { items: Node[] }).items ?? []) : [];
    const count = nodes.filter((n) =>
      (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    if (count !== readyNodes) say(`  nodes: ${count}/${options.nodes ?? 0} Ready`);
    readyNodes = count;
    if (readyNodes >= (options.nodes ?? 0)) break;
    if (Date.now() > deadline)
      throw new SampleWorkloadError(`only ${readyNodes} node(s) became Ready; see the agents' agent.log`);
    await sleep(200);
  }
  const t0 = Date.now();
  deadline = t0 + (options.timeoutMs ?? 60_000);
  for (const [path, object, what] of [
    ['/apis/apps/v1/namespaces/default/deployments', deployment, 'deployment.apps/hello'],
    ['/api/v1/namespaces/default/services', service, 'service/hello'],
  ] as const) {
    // The control plane may still be settling (503 with Retry-After): try again until the deadline.
    for (;;) {
      const reply = await call(path, object).catch((e: Error) => ({
        status: 0,
        json: { message: e.message },
      }));
      if (reply.status === 201) break;
      if (reply.status !== 503 && reply.status !== 0)
        throw new SampleWorkloadError(`cannot create ${what}: ${reply.json?.message ?? reply.status}`);
      if (Date.now() > deadline)
        throw new SampleWorkloadError(`cannot create ${what}: ${reply.json?.message}`);
      await sleep(200);
    }
    say(`${what} created`);
  }
  let last = '';
  for (;;) {
    const reply = await call('/api/v1/namespaces/default/pods?labelSelector=app%3Dhello').catch(
      () => undefined,
    );
    const pods = reply?.status === 200 ? ((reply.json as { items: Pod[] }).items ?? []) : [];
    const live = pods.filter((p) => p.metadata.deletionTimestamp === undefined);
    const ready = live.filter(isReady);
    const line = `  hello: ${live.length} pod(s), ${live.filter((p) => p.spec.nodeName).length} scheduled, ${ready.length}/${replicas} running and ready`;
    if (line !== last) {
      say(line);
      last = line;
    }
    if (ready.length >= replicas) {
      return {
        pods: ready.map((p) => ({
          name: p.metadata.name ?? '',
          node: p.spec.nodeName ?? '',
          ip: p.status?.podIP ?? '',
        })),
        runningMs: Date.now() - t0,
        nodePort,
      };
    }
    if (Date.now() > deadline)
      throw new SampleWorkloadError(
        `the sample Deployment did not get ${replicas} ready pod(s) in time (${ready.length}); see \`kubectl describe pods -l app=hello\``,
      );
    await sleep(100);
  }
}

/** Removes every pod sandbox and container the runtime labels as belonging to these nodes. */
export async function removeNodeContainers(nodeNames: readonly string[]): Promise<number> {
  let removed = 0;
  for (const nodeName of nodeNames) {
    const runtime = await createPodmanRuntime({ nodeName, config: defaultPodmanConfig, kernelOomLog: false });
    const filter = { [LABEL.node]: nodeName };
    for (const sandbox of await runtime.listPodSandboxes(filter)) {
      await runtime.removePodSandbox(sandbox.id);
      removed++;
    }
    for (const container of await runtime.listContainers(filter)) {
      await runtime.removeContainer(container.id);
      removed++;
    }
  }
  return removed;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
