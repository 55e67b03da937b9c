/**
 * The node's HTTPS client of the cluster API, authenticated by the agent's certificate
 * (CN=node-<id>). A worker's own endpoint relays without client certificates, so the node side
 * speaks to the voters directly: its own API first on a voter, else the voters in turn; an address
 * that refuses the connection is skipped for the next one (a request is never sent twice once
 * delivered). Errors are values: a Status from the API, or ServiceUnavailable when no voter answered.
 *
 *   request(method, path, body) -> { status, json }       (JSON bodies)
 *   stream(path, onLine)        -> { stop, closed }       (watch streams, pod logs: line by line)
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isStatus, makeStatus, type StatusError, StatusError as StatusErrorClass } from '../api/errors.ts';
import { splitHostPort } from '../cluster/agent-client.ts';

export interface ApiClientOptions {
  /** API addresses (host:port) to try in order, current at call time. */
  readonly upstreams: () => readonly string[];
  readonly ca: string;
  readonly cert: { readonly cert: string; readonly key: string };
  readonly timeoutMs?: number;
}

export interface ApiReply {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: callers narrow the decoded JSON themselves
  readonly json: any;
}

export interface ApiStream {
  stop(): void;
  /** Settles when the stream ends: undefined when stopped or ended cleanly, else why. */
  readonly closed: Promise<StatusError | undefined>;
}

class NotDelivered extends Error {}

export class ApiClient {
  readonly #o: ApiClientOptions;
  #preferred = 0;

  constructor(options: ApiClientOptions) {
    this.#o = options;
  }

  /** One JSON request; a non-2xx answer comes back as a StatusError. */
  async call(method: string, path: string, body?: unknown): Promise<ApiReply | StatusError> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const reply = await this.#first((address) =>
      this.#once<ApiReply>(address, method, path, payload, (res, resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: text === '' ? undefined : JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: { message: text } });
          }
        });
      }),
    );
    if (reply instanceof StatusErrorClass) return reply;
    if (reply.status >= 200 && reply.status < 300) return reply;
    return toStatusError(reply.status, reply.json);
  }

  /** A streaming GET: each line goes to `onLine` as it comes. */
  async stream(path: string, onLine: (line: string) => void): Promise<ApiStream | StatusError> {
    let request: ClientRequest | undefined;
    let finish: (e: StatusError | undefined) => void = () => {};
    const closed = new Promise<StatusError | undefined>((resolve) => {
      finish = resolve;
    });
    const started = await this.#first((address) =>
      this.#once<IncomingMessage>(
        address,
        'GET',
        path,
        undefined,
        (res, resolve) => resolve(res),
        (req) => {
          request = req;
        },
        0,
      ),
    );
    if (started instanceof StatusErrorClass) return started;
    const res = started;
    if ((res.statusCode ?? 0) >= 300) {
      const text = await readAll(res);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = { message: text };
      }
      return toStatusError(res.statusCode ?? 0, json);
    }
    let buffered = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== '') onLine(line);
      }
    });
    res.on('end', () => {
      if (buffered.trim() !== '') onLine(buffered);
      finish(undefined);
    });
    res.on('error', (error) => finish(unavailable(`the stream broke: ${error.message}`)));
    res.on('close', () => finish(undefined));
    return {
      stop: () => {
        request?.destroy();
        res.destroy();
        finish(undefined);
      },
      closed,
    };
  }

  async #first<T>(attempt: (address: string) => Promise<T>): Promise<T | StatusError> {
    const upstreams = this.#o.upstreams();
    const reasons: string[] = [];
    for (let i = 0; i < upstreams.length; i++) {
      const index = (this.#preferred + i) % upstreams.length;
      const address = upstreams[index]!;
      try {
        const out = await attempt(address);
        this.#preferred = index;
        return out;
      } catch (error) {
        if (!(error instanceof NotDelivered)) return unavailable((error as Error).message);
        reasons.push(error.message);
      }
    }
    return unavailable(`no API server answered (${reasons.join('; ') || 'none known'}); retry shortly`);
  }

  #once<T>(
    address: string,
    method: string,
    path: string,
    payload: Buffer | undefined,
    onResponse: (res: IncomingMessage, resolve: (v: T) => void, reject: (e: Error) => void) => void,
    onRequest?: (req: ClientRequest) => void,
    timeoutMs = this.#o.timeoutMs ?? 10_000,
  ): Promise<T> {
    const [host, port] = splitHostPort(address);
    return new Promise<T>((resolve, reject) => {
      let connected = false;
      const req = httpsRequest(
        {
          host,
          port,
          method,
          path,
          ca: this.#o.ca,
          cert: this.#o.cert.cert,
          key: this.#o.cert.key,
          agent: false,
          headers: {
            Accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) }),
          },
        },
        (res) => onResponse(res, resolve, reject),
      );
      onRequest?.(req);
      req.on('socket', (socket) => socket.once('secureConnect', () => (connected = true)));
      const connectTimer = setTimeout(() => {
        if (!connected) req.destroy(new NotDelivered(`${address}: no connection within 1000 ms`));
      }, 1000);
      req.on('response', () => clearTimeout(connectTimer));
      if (timeoutMs > 0)
        req.setTimeout(timeoutMs, () =>
          req.destroy(new Error(`${address}${path}: no answer within ${timeoutMs} ms`)),
        );
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        reject(
          error instanceof NotDelivered || !connected
            ? new NotDelivered(`${address}: ${error.code ?? error.message}`)
            : error,
        );
      });
      req.end(payload);
    });
  }
}

function toStatusError(code: number, json: unknown): StatusError {
  if (isStatus(json)) return StatusErrorClass.fromStatus(json);
  const message = (json as { message?: string } | undefined)?.message ?? `HTTP ${code}`;
  return StatusErrorClass.fromStatus({ ...makeStatus('InternalError', message), code });
}

function unavailable(message: string): StatusError {
  return StatusErrorClass.fromStatus(makeStatus('ServiceUnavailable', message, { retryAfterSeconds: 1 }));
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
