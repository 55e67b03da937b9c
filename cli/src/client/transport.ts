/**
 * HTTP(S) to one API server: the cluster CA, a bearer token (only over HTTPS, as kubectl) or a
 * client certificate, keep-alive, and patience with an agent that is mid-election: a 503 or 429
 * is retried after its Retry-After, and a refused connection (an agent restarting) is retried
 * too, since nothing reached the server. Other errors come back as ApiError values.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { CliError } from '../errors.ts';
import { ApiError, apiErrorFrom } from './api-error.ts';
import type { Connection } from './kubeconfig.ts';

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: string;
  readonly contentType?: string;
  readonly accept?: string;
  /** Prefix for error messages: `error when creating "app.yaml"`. */
  readonly errorContext?: string;
  readonly signal?: AbortSignal;
}

export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly text: string;
}

export interface RetryPolicy {
  /** Give up after this long of 503s and refused connections. */
  readonly maxWaitMs: number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told before each wait, so a command can show why it is waiting. */
  readonly onRetry?: (reason: string, waitMs: number) => void;
}

export const defaultRetry: RetryPolicy = {
  maxWaitMs: 30_000,
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(signal.reason);
      });
    }),
};

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH']);

export class Transport {
  readonly connection: Connection;
  readonly #agent: HttpAgent;
  readonly #retry: RetryPolicy;
  readonly #secure: boolean;

  constructor(connection: Connection, retry: RetryPolicy = defaultRetry) {
    this.connection = connection;
    this.#retry = retry;
    this.#secure = connection.server.protocol === 'https:';
    this.#agent = this.#secure
      ? new HttpsAgent({
          keepAlive: true,
          ...(connection.ca !== undefined ? { ca: connection.ca } : {}),
          rejectUnauthorized: !connection.insecureSkipTlsVerify,
          ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
          ...(connection.clientCert
            ? { cert: connection.clientCert.cert, key: connection.clientCert.key }
            : {}),
        })
      : new HttpAgent({ keepAlive: true });
  }

  /** One request, read to the end; non-2xx replies throw ApiError. */
  async request(r: HttpRequest): Promise<HttpReply> {
    const res = await this.#open(r);
    const text = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw this.#error(res.statusCode ?? 0, text, r);
    return { status: res.statusCode ?? 0, headers: res.headers, text };
  }

  /** A request whose body the caller reads as it arrives (watch, logs -f). */
  async stream(r: HttpRequest): Promise<IncomingMessage> {
    const res = await this.#open(r);
    if ((res.statusCode ?? 0) >= 300) throw this.#error(res.statusCode ?? 0, await readAll(res), r);
    return res;
  }

  close(): void {
    this.#agent.destroy();
  }

  #error(status: number, text: string, r: HttpRequest): ApiError {
    const e = apiErrorFrom(status, text, r.errorContext);
    if (status === 401 && !this.#secure && this.connection.token !== undefined)
      return new ApiError(
        e.status,
        `${e.display}\nThe server is plain http://, so no token was sent (tokens travel only over HTTPS); use an https:// server address.`,
      );
    return e;
  }

  async #open(r: HttpRequest): Promise<IncomingMessage> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let res: IncomingMessage;
      try {
        res = await this.#send(r);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (r.signal?.aborted) throw e;
        const waitMs = Math.min(250 * 2 ** (attempt - 1), 2_000);
        if (RETRYABLE_CODES.has(code) && Date.now() - started + waitMs <= this.#retry.maxWaitMs) {
          this.#retry.onRetry?.(`${code} from ${this.connection.server.host}`, waitMs);
          await this.#retry.sleep(waitMs, r.signal);
          continue;
        }
        throw connectionError(this.connection.server, e as Error);
      }
      const status = res.statusCode ?? 0;
      if (status === 503 || status === 429) {
        const waitMs = retryAfterMs(res.headers['retry-after'], attempt);
        if (Date.now() - started + waitMs <= this.#retry.maxWaitMs) {
          const text = await readAll(res);
          this.#retry.onRetry?.(`${status} ${apiErrorFrom(status, text).message}`, waitMs);
          await this.#retry.sleep(waitMs, r.signal);
          continue;
        }
      }
      return res;
    }
  }

  #send(r: HttpRequest): Promise<IncomingMessage> {
    const url = new URL(r.path, this.connection.server);
    for (const [k, v] of Object.entries(r.query ?? {}))
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      Accept: r.accept ?? 'application/json',
      'User-Agent': 'kedge-cli',
    };
    // Like client-go: a bearer token only ever travels over TLS.
    if (this.connection.token !== undefined && this.#secure)
      headers.Authorization = `Bearer ${this.connection.token}`;
    if (r.body !== undefined) {
      headers['Content-Type'] = r.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(r.body));
    }
    const send = this.#secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      // Abort by destroying without an error: node's own `signal` option makes an ended response
      // emit an AbortError that nobody listens to any more.
      let response: IncomingMessage | undefined;
      const onAbort = () => {
        if (response) response.destroy();
        else req.destroy(new Error('aborted'));
      };
      const req = send(url, { method: r.method, headers, agent: this.#agent }, (res) => {
        response = res;
        res.once('close', () => r.signal?.removeEventListener('abort', onAbort));
        resolve(res);
      });
      r.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', reject);
      req.end(r.body);
    });
  }
}

function retryAfterMs(header: string | string[] | undefined, attempt: number): number {
  const value = Array.isArray(header) ? header[0] : header;
  const seconds = value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
  // Retry-After is whole seconds; without one, back off from 250 ms.
  return seconds !== undefined
    ? Math.max(seconds, 0) * 1000 || 250
    : Math.min(250 * 2 ** (attempt - 1), 2_000);
}

function connectionError(server: URL, e: Error): CliError {
  const code = (e as NodeJS.ErrnoException).code;
  const base = `cannot reach the kedge API at ${server.origin}: ${e.message}`;
  if (code === 'ECONNREFUSED')
    return new CliError(
      'Connection',
      `${base}; is the agent running? Start one with \`kedge up\` or check \`kedge config current-context\``,
    );
  if (
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'ERR_TLS_CERT_ALTNAME_INVALID'
  )
    return new CliError(
      'Connection',
      `${base}; the server's certificate is not trusted: set certificate-authority-data for the cluster in your kubeconfig (kedge init writes it)`,
    );
  return new CliError('Connection', base);
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
