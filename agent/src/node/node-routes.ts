/**
 * What every agent serves about itself, next to the API on the same port (agent.ts routes these
 * paths to it before the API server or the worker's forwarder sees them):
 *
 *   GET /kedge/node/v1/summary                 usage of this node and its pods (JSON)    node certificates
 *   GET /kedge/node/v1/logs/{ns}/{pod}?...      a pod's log from the kubelet (text lines)  node certificates
 *   GET /kedge/node/v1/endpoints               this agent's gossip table and members      node certificates
 *   GET /metrics                                Prometheus text for this node              node certificates or
 *                                                                                          an admin token (voters)
 * The voters' API proxies `pods/{name}/log` and the metrics API here (cluster-routes.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, isStatusError, makeStatus, StatusError } from '../api/errors.ts';
import type { Status } from '../api/types/meta.ts';
import { certificateIdentity } from '../auth/client-certificates.ts';
import type { Identity } from '../auth/tokens.ts';
import type { Kubelet } from '../kubelet/kubelet.ts';
import type { NodeSampler } from '../metrics/node-sampler.ts';
import { EXPOSITION_CONTENT_TYPE } from '../metrics/prometheus.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { containerUsages, exposition, summarise } from './node-usage.ts';

export const NODE_PATH_PREFIX = '/kedge/node/v1/';

/** Handles the request and returns true, or returns false to let the API have it. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface NodeRouteDeps {
  readonly nodeName: string;
  readonly runtime: ContainerRuntime;
  readonly sampler: NodeSampler;
  readonly samplerIntervalMs: number;
  readonly kubelet: () => Kubelet | undefined;
  readonly maxPods: number;
  /** Bearer tokens (voters only: workers hold no users). */
  readonly authenticate?: (header: string | undefined) => Identity | undefined;
  /** This agent's gossip state: merged endpoint table and membership (undefined: gossip is off). */
  readonly gossipState?: () => unknown;
}

/** A verified certificate of another agent of this cluster (CN=node-<id>). */
export function isAgent(req: IncomingMessage): boolean {
  const who = certificateIdentity(req.socket);
  return who !== undefined && /^node-\d+$/.test(who.name);
}

export function nodeRoutes(deps: NodeRouteDeps): RouteHandler {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://agent');
    if (url.pathname === '/metrics') {
      const admin = deps.authenticate?.(req.headers.authorization)?.groups.includes('system:masters');
      if (!isAgent(req) && !admin) {
        deny(res);
        return true;
      }
      void serveMetrics(deps, res);
      return true;
    }
    if (!url.pathname.startsWith(NODE_PATH_PREFIX)) return false;
    if (!isAgent(req)) {
      deny(res);
      return true;
    }
    const rest = url.pathname.slice(NODE_PATH_PREFIX.length).split('/').map(decodeURIComponent);
    if (rest[0] === 'summary' && rest.length === 1) void serveSummary(deps, res);
    else if (rest[0] === 'endpoints' && rest.length === 1) {
      const state = deps.gossipState?.();
      if (state === undefined) sendStatus(res, makeStatus('NotFound', 'gossip is not running on this agent'));
      else sendJson(res, 200, state);
    } else if (rest[0] === 'logs' && rest.length === 3)
      void serveLogs(deps, rest[1]!, rest[2]!, url.searchParams, req, res);
    else sendStatus(res, makeStatus('NotFound', `no such node endpoint: ${url.pathname}`));
    return true;
  };
}

async function serveSummary(deps: NodeRouteDeps, res: ServerResponse): Promise<void> {
  try {
    const sample = deps.sampler.latest() ?? (await deps.sampler.ready());
    const usages = await containerUsages(deps.runtime, deps.nodeName);
    sendJson(res, 200, summarise(deps.nodeName, sample, usages, deps.samplerIntervalMs / 1000));
  } catch (error) {
    sendStatus(
      res,
      makeStatus('InternalError', `cannot measure node ${deps.nodeName}: ${(error as Error).message}`),
    );
  }
}

async function serveMetrics(deps: NodeRouteDeps, res: ServerResponse): Promise<void> {
  try {
    const sample = deps.sampler.latest() ?? (await deps.sampler.ready());
    const usages = await containerUsages(deps.runtime, deps.nodeName);
    const text = exposition(deps.nodeName, sample, usages, deps.maxPods);
    res.writeHead(200, {
      'Content-Type': EXPOSITION_CONTENT_TYPE,
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  } catch (error) {
    sendStatus(
      res,
      makeStatus('InternalError', `cannot measure node ${deps.nodeName}: ${(error as Error).message}`),
    );
  }
}

async function serveLogs(
  deps: NodeRouteDeps,
  namespace: string,
  name: string,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const kubelet = deps.kubelet();
  if (kubelet === undefined) {
    sendStatus(
      res,
      makeStatus('ServiceUnavailable', `the kubelet of ${deps.nodeName} is still starting; retry shortly`),
    );
    return;
  }
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const tail = q.get('tailLines');
  const since = q.get('sinceTime');
  let started = false;
  try {
    if (tail !== null && !/^\d+$/.test(tail)) throw badRequest('tailLines must be a whole number');
    const lines = kubelet.podLogs({
      namespace,
      name,
      ...(q.get('container') ? { container: q.get('container')! } : {}),
      follow: q.get('follow') === 'true',
      previous: q.get('previous') === 'true',
      timestamps: q.get('timestamps') === 'true',
      ...(tail !== null ? { tailLines: Number(tail) } : {}),
      ...(since !== null ? { sinceTime: new Date(since) } : {}),
      signal: abort.signal,
    });
    for await (const line of lines) {
      if (!started) {
        started = true;
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.flushHeaders();
      }
      if (!res.write(`${line}\n`)) await new Promise((r) => res.once('drain', r));
    }
    if (!started) res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end();
  } catch (error) {
    if (started) res.destroy();
    else if (isStatusError(error)) sendStatus(res, error.status);
    else
      sendStatus(
        res,
        makeStatus(
          'InternalError',
          `cannot read the log of ${namespace}/${name}: ${(error as Error).message}`,
        ),
      );
  }
  void req;
}

function deny(res: ServerResponse): void {
  sendStatus(
    res,
    makeStatus('Forbidden', "this endpoint answers the cluster's agents (node certificates) only"),
  );
}

export function sendStatus(res: ServerResponse, status: Status | StatusError): void {
  const s = status instanceof StatusError ? status.status : status;
  sendJson(res, s.code, s);
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
