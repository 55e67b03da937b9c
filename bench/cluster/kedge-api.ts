// A minimal Kubernetes API client for the benchmark: JSON over HTTPS with the admin token and
// keep-alive, failing over to the next agent when one refuses (a node-death trial kills agents).
import { Agent, request } from 'node:https';

export class KedgeApiError extends Error {
  readonly kind: 'Http' | 'Unavailable';
  readonly status: number | undefined;
  constructor(kind: 'Http' | 'Unavailable', message: string, status?: number) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

export interface KedgeApi {
  call<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
  close(): void;
}

export function kedgeApi(options: {
  readonly addresses: readonly string[];
  readonly caPem: string;
  readonly token: string;
}): KedgeApi {
  const agent = new Agent({ keepAlive: true, maxSockets: 8, ca: options.caPem });
  const once = <T>(address: string, method: string, path: string, body: unknown, contentType: string) =>
    new Promise<T>((resolve, reject) => {
      const [host, port] = address.split(':');
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          host,
          port: Number(port),
          method,
          path,
          agent,
          timeout: 5000,
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: 'application/json',
            ...(payload !== undefined
              ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              try {
                resolve(JSON.parse(text) as T);
              } catch (error) {
                reject(new KedgeApiError('Http', `${method} ${path}: ${(error as Error).message}`, status));
              }
            } else
              reject(
                new KedgeApiError('Http', `${method} ${path}: HTTP ${status} ${text.slice(0, 300)}`, status),
              );
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new KedgeApiError('Unavailable', `${method} ${path}: timeout`)));
      req.on('error', (e) =>
        reject(e instanceof KedgeApiError ? e : new KedgeApiError('Unavailable', e.message)),
      );
      req.end(payload);
    });
  return {
    async call<T>(method: string, path: string, body?: unknown, contentType = 'application/json') {
      let last: Error | undefined;
      for (const address of options.addresses) {
        try {
          return await once<T>(address, method, path, body, contentType);
        } catch (error) {
          // An HTTP answer is the cluster's answer; only an unreachable agent moves us on.
          if (error instanceof KedgeApiError && error.kind === 'Http') throw error;
          last = error as Error;
        }
      }
      throw last ?? new KedgeApiError('Unavailable', 'no API address');
    },
    close: () => agent.destroy(),
  };
}
