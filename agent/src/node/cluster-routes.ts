/**
 * Routes a voter's API answers by asking the agents (the API server has no hook for extra routes,
 * so agent.ts puts these in front of its request handler, the technique it uses for /kedge/v1):
 *
 *   /apis/metrics.k8s.io/v1beta1/nodes[/{name}]                     ─┐ scrape each member's
 *   /apis/metrics.k8s.io/v1beta1[/namespaces/{ns}]/pods[/{name}]     ─┴ /kedge/node/v1/summary (node cert)
 *   /api/v1/namespaces/{ns}/pods/{name}/log?...  ──> the agent of spec.nodeName: /kedge/node/v1/logs/...
 *
 * Requests are authenticated and authorised like the API's own (bearer token; `get` on
 * nodes/pods for metrics, `get` on pods/log for logs). METRICS_RESOURCES puts metrics.k8s.io in
 * discovery, which `kubectl top` checks first.
 */
import type { ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isStatusError, makeStatus } from '../api/errors.ts';
import type { ResourceInfo } from '../api/registry.ts';
import type { Pod } from '../api/types/pod.ts';
import { forbiddenError } from '../auth/authorizer.ts';
import type { ResourceAttributes } from '../auth/roles.ts';
import type { Identity } from '../auth/tokens.ts';
import { callAgent, splitHostPort } from '../cluster/agent-client.ts';
import { type RouteHandler, sendJson, sendStatus } from './node-routes.ts';
import type { NodeUsageSummary } from './node-usage.ts';

const METRICS_PREFIX = '/apis/metrics.k8s.io/v1beta1/';
const LOG_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/;

const metricsResource = (resource: string, kind: string, namespaced: boolean): ResourceInfo => ({
  group: 'metrics.k8s.io',
  version: 'v1beta1',
  kind,
  listKind: `${kind}List`,
  resource,
  singular: resource.slice(0, -1),
  shortNames: [],
  namespaced,
  subresources: [],
  categories: [],
  verbs: ['get', 'list'],
  fieldSelectors: [],
});

/** Discovery entries for the metrics API (served by these routes, not by the store). */
export const METRICS_RESOURCES: readonly ResourceInfo[] = [
  metricsResource('nodes', 'NodeMetrics', false),
  metricsResource('pods', 'PodMetrics', true),
];

export interface AgentMember {
  readonly name: string;
  readonly apiAddress: string;
}

export interface ClusterRouteDeps {
  readonly authenticate: (header: string | undefined) => Identity | undefined;
  readonly authorize: (identity: Identity, attributes: ResourceAttributes) => boolean;
  readonly members: () => readonly AgentMember[];
  readonly getPod: (namespace: string, name: string) => Promise<Pod>;
  readonly caPem: string;
  readonly nodeCert: { readonly cert: string; readonly key: string };
}

export function clusterRoutes(deps: ClusterRouteDeps): RouteHandler {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://agent');
    const log = LOG_PATH.exec(url.pathname);
    if (!url.pathname.startsWith(METRICS_PREFIX) && log === null) return false;
    if (req.method !== 'GET') {
      sendStatus(res, makeStatus('MethodNotAllowed', 'only GET is served here'));
      return true;
    }
    const identity = deps.authenticate(req.headers.authorization);
    if (identity === undefined) {
      sendStatus(res, makeStatus('Unauthorized', 'Unauthorized'));
      return true;
    }
    const run = log
      ? proxyLog(deps, identity, decodeURIComponent(log[1]!), decodeURIComponent(log[2]!), url, res)
      : serveMetrics(
          deps,
          identity,
          url.pathname.slice(METRICS_PREFIX.length).split('/').map(decodeURIComponent),
          res,
        );
    run.catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else if (isStatusError(error)) sendStatus(res, error.status);
      else sendStatus(res, makeStatus('InternalError', (error as Error).message));
    });
    return true;
  };
}

function check(deps: ClusterRouteDeps, identity: Identity, attributes: ResourceAttributes): void {
  if (!deps.authorize(identity, attributes)) throw forbiddenError(identity, attributes);
}

/** What scraping the members' usage summaries needs. */
export type ScrapeDeps = Pick<ClusterRouteDeps, 'members' | 'caPem' | 'nodeCert'>;

/** Each member's summary; members that do not answer are left out (as metrics-server does). */
export async function scrapeNodeSummaries(deps: ScrapeDeps): Promise<NodeUsageSummary[]> {
  const replies = await Promise.all(
    deps.members().map((m) =>
      callAgent(m.apiAddress, '/kedge/node/v1/summary', {
        ca: deps.caPem,
        clientCert: deps.nodeCert,
        timeoutMs: 3000,
      }).then(
        (r) => (r.status === 200 ? (r.json as NodeUsageSummary) : undefined),
        () => undefined,
      ),
    ),
  );
  return replies.filter((r): r is NodeUsageSummary => r !== undefined);
}

const cpu = (milli: number) => `${Math.max(0, Math.round(milli * 1e6))}n`;
const memory = (bytes: number) => `${Math.max(0, Math.round(bytes / 1024))}Ki`;

async function serveMetrics(
  deps: ClusterRouteDeps,
  identity: Identity,
  parts: string[],
  res: ServerResponse,
): Promise<void> {
  const apiVersion = 'metrics.k8s.io/v1beta1';
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1]!;
    parts = parts.slice(2);
  }
  const [resource, name] = parts;
  if (
    (resource !== 'nodes' && resource !== 'pods') ||
    parts.length > 2 ||
    (resource === 'nodes' && namespace)
  ) {
    sendStatus(res, makeStatus('NotFound', `the server could not find the requested resource`));
    return;
  }
  check(deps, identity, {
    verb: name === undefined ? 'list' : 'get',
    group: 'metrics.k8s.io',
    resource,
    subresource: '',
    namespace,
    name: name ?? '',
    namespaced: resource === 'pods',
  });
  const summaries = await scrapeNodeSummaries(deps);
  if (resource === 'nodes') {
    const items = summaries.map((s) => ({
      metadata: { name: s.nodeName, creationTimestamp: new Date().toISOString() },
      timestamp: s.timestamp,
      window: `${s.windowSeconds}s`,
      usage: { cpu: cpu(s.cpuMilli), memory: memory(s.memoryBytes) },
    }));
    return reply(res, apiVersion, 'NodeMetrics', items, name, 'nodes');
  }
  const items = summaries.flatMap((s) =>
    s.pods
      .filter((p) => namespace === '' || p.namespace === namespace)
      .map((p) => ({
        metadata: { name: p.name, namespace: p.namespace, creationTimestamp: new Date().toISOString() },
        timestamp: s.timestamp,
        window: `${s.windowSeconds}s`,
        containers: p.containers.map((c) => ({
          name: c.name,
          usage: { cpu: cpu(c.cpuMilli), memory: memory(c.memoryBytes) },
        })),
      })),
  );
  return reply(res, apiVersion, 'PodMetrics', items, name, 'pods');
}

function reply(
  res: ServerResponse,
  apiVersion: string,
  kind: string,
  items: { metadata: { name: string } }[],
  name: string | undefined,
  resource: string,
): void {
  if (name === undefined) {
    sendJson(res, 200, {
      kind: `${kind}List`,
      apiVersion,
      metadata: {},
      items: items.map((i) => ({ kind, apiVersion, ...i })),
    });
    return;
  }
  const one = items.find((i) => i.metadata.name === name);
  if (one === undefined)
    sendStatus(res, makeStatus('NotFound', `${resource}.metrics.k8s.io "${name}" not found`));
  else sendJson(res, 200, { kind, apiVersion, ...one });
}

async function proxyLog(
  deps: ClusterRouteDeps,
  identity: Identity,
  namespace: string,
  name: string,
  url: URL,
  res: ServerResponse,
): Promise<void> {
  check(deps, identity, {
    verb: 'get',
    group: '',
    resource: 'pods',
    subresource: 'log',
    namespace,
    name,
    namespaced: true,
  });
  const pod = await deps.getPod(namespace, name);
  const nodeName = pod.spec.nodeName ?? '';
  const member = deps.members().find((m) => m.name === nodeName);
  if (member === undefined) {
    sendStatus(
      res,
      makeStatus(
        'BadRequest',
        nodeName === ''
          ? `pod ${name} is not scheduled yet; it has no log`
          : `node ${nodeName} is not a member of this cluster`,
      ),
    );
    return;
  }
  const [host, port] = splitHostPort(member.apiAddress);
  const path = `/kedge/node/v1/logs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${url.search}`;
  await new Promise<void>((resolve, reject) => {
    const out = httpsRequest(
      {
        host,
        port,
        path,
        method: 'GET',
        ca: deps.caPem,
        cert: deps.nodeCert.cert,
        key: deps.nodeCert.key,
        agent: false,
      },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, {
          'Content-Type': upstream.headers['content-type'] ?? 'text/plain',
        });
        res.flushHeaders();
        upstream.pipe(res);
        upstream.on('end', () => resolve());
        upstream.on('error', reject);
      },
    );
    res.on('close', () => {
      out.destroy();
      resolve();
    });
    out.on('error', (error) =>
      reject(
        res.headersSent
          ? error
          : new Error(
              `the agent of node ${nodeName} (${member.apiAddress}) did not answer: ${error.message}`,
            ),
      ),
    );
    out.end();
  });
}
