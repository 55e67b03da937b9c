import { request } from 'node:http';
import { classifyFailure, RuntimeError } from './podman-cli.ts';
import { isRecord } from './podman-json.ts';

/**
 * HTTP to podman's REST API (the libpod endpoints) over its unix socket. One request costs a
 * socket round trip into a podman process that is already running, where every CLI call pays
 * for starting podman again (20-100 ms here before it does anything).
 */

/** The API path prefix; podman 4.0 is the oldest libpod API we speak (its MinAPIVersion). */
export const LIBPOD = '/v4.0.0/libpod';

export interface LibpodRequest {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface LibpodResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface LibpodClient {
  readonly socketPath: string;
  /** One call; resolves with any HTTP status (the caller decides what is an error), rejects on I/O failures. */
  call(path: string, options?: LibpodRequest): Promise<LibpodResponse>;
  /** One call that must answer 2xx (304 "already in that state" counts too); throws RuntimeError otherwise. */
  ok(path: string, options?: LibpodRequest): Promise<unknown>;
  /** A streaming GET of newline-delimited JSON (events); ends when the signal aborts or podman closes it. */
  stream(path: string, options: LibpodRequest & { signal: AbortSignal }): AsyncGenerator<unknown>;
}

export function libpodPath(path: string, query: LibpodRequest['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined) params.set(key, String(value));
  const qs = params.toString();
  return `${LIBPOD}${path}${qs ? `?${qs}` : ''}`;
}

/** The error podman's API returned (`{"cause","message","response"}`) as a RuntimeError with a kind. */
export function apiError(what: string, status: number, body: unknown): RuntimeError {
  const message = isRecord(body) && typeof body.message === 'string' ? body.message : JSON.stringify(body);
  const kind =
    status === 404 && classifyFailure(message) === 'Failed' ? 'NotFound' : classifyFailure(message);
  return new RuntimeError(
    kind,
    `podman API ${what} failed (HTTP ${status}): ${message}`,
    what,
    status,
    message,
  );
}

export function libpodClient(socketPath: string, defaultTimeoutMs: number): LibpodClient {
  function call(path: string, options: LibpodRequest = {}): Promise<LibpodResponse> {
    const method = options.method ?? 'GET';
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const what = `${method} ${path}`;
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath,
          path: libpodPath(path, options.query),
          method,
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
          signal: options.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            if (text !== '' && /json/.test(res.headers['content-type'] ?? '')) {
              try {
                body = JSON.parse(text);
              } catch (err) {
                reject(
                  new RuntimeError(
                    'Failed',
                    `podman API ${what} sent bad JSON: ${(err as Error).message}`,
                    what,
                  ),
                );
                return;
              }
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.setTimeout(timeoutMs, () => {
        req.destroy(new RuntimeError('Timeout', `podman API ${what} timed out after ${timeoutMs} ms`, what));
      });
      req.on('error', (err) => {
        if (err instanceof RuntimeError) reject(err);
        else
          reject(
            new RuntimeError(
              'Failed',
              `podman API ${what} failed: ${err.message} (is the podman service on ${socketPath} running?)`,
              what,
            ),
          );
      });
      req.end(payload);
    });
  }

  return {
    socketPath,
    call,
    async ok(path, options = {}) {
      const res = await call(path, options);
      if ((res.status >= 200 && res.status < 300) || res.status === 304) return res.body;
      throw apiError(`${options.method ?? 'GET'} ${path}`, res.status, res.body);
    },
    async *stream(path, options) {
      const what = `GET ${path}`;
      const lines: unknown[] = [];
      let wake: (() => void) | undefined;
      let ended: Error | null | undefined;
      const done = (err: Error | null) => {
        if (ended === undefined) ended = err;
        wake?.();
      };
      const req = request(
        { socketPath, path: libpodPath(path, options.query), signal: options.signal },
        (res) => {
          if ((res.statusCode ?? 0) >= 300) {
            done(new RuntimeError('Failed', `podman API ${what} answered HTTP ${res.statusCode}`, what));
            res.resume();
            return;
          }
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let nl = buffer.indexOf('\n');
            while (nl >= 0) {
              const line = buffer.slice(0, nl).trim();
              buffer = buffer.slice(nl + 1);
              if (line !== '') {
                try {
                  lines.push(JSON.parse(line));
                } catch (err) {
                  done(
                    new RuntimeError(
                      'Failed',
                      `podman API ${what} sent bad JSON: ${(err as Error).message}`,
                      what,
                    ),
                  );
                }
              }
              nl = buffer.indexOf('\n');
            }
            wake?.();
          });
          res.on('end', () => done(null));
          res.on('error', (err) => done(err));
        },
      );
      req.on('error', (err) => done(options.signal.aborted ? null : err));
      req.end();
      try {
        while (true) {
          const next = lines.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          if (ended !== undefined) break;
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = undefined;
        }
        if (ended && !options.signal.aborted) throw ended;
      } finally {
        req.destroy();
      }
    },
  };
}
