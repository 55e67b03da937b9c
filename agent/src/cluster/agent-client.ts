/**
 * JSON over HTTPS to an agent's /kedge/v1 endpoints (join, promote, members, node and cluster
 * status), pinned to the cluster CA, authenticated by a bearer token or this agent's certificate.
 */
import { request } from 'node:https';

export interface AgentCallOptions {
  readonly method?: string;
  readonly body?: unknown;
  /** The cluster CA (PEM); absent only for the one unauthenticated bootstrap call (GET /kedge/v1/ca). */
  readonly ca?: string;
  readonly token?: string;
  readonly clientCert?: { readonly cert: string; readonly key: string };
  readonly timeoutMs?: number;
}

export interface AgentReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: callers read fields by path and check them
  readonly json: any;
}

/** One request; rejects only when no HTTP answer came (connection refused, timeout). */
export function callAgent(
  address: string,
  path: string,
  options: AgentCallOptions = {},
): Promise<AgentReply> {
  const [host, port] = splitHostPort(address);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        path,
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        agent: false,
        // Without the CA the only thing fetched is the CA itself, which the caller checks by hash.
        ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
        ...(options.clientCert ? { cert: options.clientCert.cert, key: options.clientCert.key } : {}),
        headers: {
          Accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }),
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch (error) {
            json = { parseError: (error as Error).message };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 5000, () =>
      req.destroy(new Error(`${address}${path} did not answer within ${options.timeoutMs ?? 5000} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export function splitHostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TypeError(`"${address}" is not host:port`);
  }
  return [address.slice(0, colon).replace(/^\[|\]$/g, ''), port];
}
