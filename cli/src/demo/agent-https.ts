/**
 * JSON over HTTPS to the agents for the demo's fast loops (status polls every 20 ms, a stream of
 * writes): pinned to the cluster CA, the admin token, and keep-alive connections so that a poll
 * costs a request, not a TLS handshake. A killed agent's sockets fail with a reset, which is an
 * answer too (the caller counts it as a refused write or an unreachable agent).
 */
import { Agent, request } from 'node:https';
import { splitHostPort } from '../../../agent/src/cluster/agent-client.ts';

export interface AgentReply {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: callers read fields by path and check them
  readonly json: any;
}

export interface AgentHttps {
  /** One request; rejects when no HTTP answer came in time (refused, reset, timeout). */
  call(
    address: string,
    path: string,
    o?: { method?: string; body?: unknown; timeoutMs?: number },
  ): Promise<AgentReply>;
  close(): void;
}

export function createAgentHttps(credentials: { caPem: string; token: string }): AgentHttps {
  const agent = new Agent({ keepAlive: true, maxSockets: 8, ca: credentials.caPem });
  return {
    call(address, path, o = {}) {
      const [host, port] = splitHostPort(address);
      const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
      const timeoutMs = o.timeoutMs ?? 2000;
      return new Promise((resolve, reject) => {
        const req = request(
          {
            host,
            port,
            path,
            method: o.method ?? (payload === undefined ? 'GET' : 'POST'),
            agent,
            ca: credentials.caPem,
            headers: {
              Accept: 'application/json',
              Authorization: `Bearer ${credentials.token}`,
              ...(payload === undefined
                ? {}
                : {
                    'Content-Type': 'application/json',
                    'Content-Length': String(Buffer.byteLength(payload)),
                  }),
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
                json = { message: `not JSON: ${(error as Error).message}` };
              }
              resolve({ status: res.statusCode ?? 0, json });
            });
          },
        );
        req.setTimeout(timeoutMs, () =>
          req.destroy(new Error(`${address} did not answer within ${timeoutMs} ms`)),
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
