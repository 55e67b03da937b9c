/**
 * A worker's API endpoint: it has no replica, so it relays every request (watch streams
 * included) to a voter, which serves it from its replica through Raft.
 *
 *   client -> worker -> buffer the body (<= 3 MiB, the API's own limit)
 *                    -> voter A  (connection refused / no connect within 1 s?) -> voter B -> ...
 *                    -> response streamed back as it comes (watch lines flow through)
 *             every voter down -> 503 ServiceUnavailable, Retry-After: 1
 *
 * Only requests that never reached a voter are retried on another one, so a write is never sent
 * twice; a voter's own 503 (election under way) is passed through with its Retry-After.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { makeStatus } from '../api/errors.ts';
import { splitHostPort } from './agent-client.ts';
import { RETRY_AFTER_SECONDS } from './consensus-errors.ts';

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 1000;

export interface ApiForwarderOptions {
  /** The voters' API addresses, current at call time (the worker refreshes them). */
  readonly upstreams: () => readonly string[];
  readonly ca: string;
  readonly logger: Logger;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Thrown when the request never reached an upstream: safe to try the next one. */
class NotDelivered extends Error {}

export function createApiForwarder(options: ApiForwarderOptions): RequestHandler {
  let preferred = 0;
  return (req, res) => {
    void (async () => {
      const body = await readLimited(req);
      if (body === undefined) {
        reply(res, 413, 'RequestEntityTooLarge', `the request body is larger than ${MAX_BODY_BYTES} bytes`);
        return;
      }
      const upstreams = options.upstreams();
      for (let i = 0; i < upstreams.length; i++) {
        const index = (preferred + i) % upstreams.length;
        const upstream = upstreams[index]!;
        try {
          await relay(upstream, req, res, body, options.ca);
          preferred = index;
          return;
        } catch (error) {
          if (!(error instanceof NotDelivered)) {
            options.logger.warn('forwarded request failed mid-way', {
              upstream,
              error: (error as Error).message,
            });
            if (!res.headersSent) {
              reply(
                res,
                503,
                'ServiceUnavailable',
                `the voter ${upstream} failed while serving the request; it may have taken effect: read before retrying`,
              );
            } else res.destroy();
            return;
          }
          options.logger.debug('voter unreachable; trying the next', { upstream, error: error.message });
        }
      }
      reply(
        res,
        503,
        'ServiceUnavailable',
        'no voter of the control plane is reachable from this agent; retry shortly',
      );
    })().catch((error: unknown) => {
      options.logger.error('forwarding failed', { error: (error as Error).message });
      if (!res.headersSent)
        reply(res, 500, 'InternalError', `forwarding failed: ${(error as Error).message}`);
      else res.destroy();
    });
  };
}

function relay(
  upstream: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  ca: string,
): Promise<void> {
  const [host, port] = splitHostPort(upstream);
  return new Promise((resolve, reject) => {
    let connected = false;
    const headers = { ...req.headers, host: upstream, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    delete headers.connection;
    const out = request(
      { host, port, method: req.method, path: req.url, headers, ca, agent: false },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        // Watch events must reach the client as they come, not when a buffer fills.
        res.flushHeaders();
        upstreamRes.pipe(res);
        upstreamRes.on('end', () => resolve());
        upstreamRes.on('error', reject);
        res.on('close', () => {
          upstreamRes.destroy();
          resolve();
        });
      },
    );
    const connectTimer = setTimeout(() => {
      if (!connected)
        out.destroy(new NotDelivered(`no connection to ${upstream} within ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    out.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        connected = true;
        clearTimeout(connectTimer);
      });
    });
    out.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (error instanceof NotDelivered) reject(error);
      else if (!connected) reject(new NotDelivered(`${upstream}: ${error.code ?? error.message}`));
      else reject(error);
    });
    out.end(body);
  });
}

async function readLimited(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function reply(
  res: ServerResponse,
  code: number,
  reason: 'ServiceUnavailable' | 'RequestEntityTooLarge' | 'InternalError',
  message: string,
): void {
  const status = makeStatus(
    reason,
    message,
    code === 503 ? { retryAfterSeconds: RETRY_AFTER_SECONDS } : undefined,
  );
  const text = JSON.stringify(status);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...(code === 503 ? { 'Retry-After': String(RETRY_AFTER_SECONDS) } : {}),
  });
  res.end(text);
}
