/**
 * A client that sends the sample Service traffic through one node's service proxy (its NodePort on
 * 127.0.0.x), a new connection per request so the proxy balances each one, and counts answers.
 * The node is chosen by the demo (a voter that is not about to be killed).
 *
 *   loop every intervalMs ─> GET http://target()/ ─> 200 "hello from ..." ok | anything else: failed
 */
import { request } from 'node:http';

export interface ServiceResult {
  readonly at: number;
  readonly ok: boolean;
  readonly error?: string;
}

export interface ServiceTrafficOptions {
  /** host:port of a node's NodePort; read before every request. */
  readonly target: () => string;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly now: () => number;
}

export interface ServiceTraffic {
  /** Answers in [from, to). */
  countBetween(from: number, to: number): { ok: number; failed: number };
  /** The most recent failures, newest last. */
  recentFailures(n: number): ServiceResult[];
  totals(): { ok: number; failed: number };
  /** Whether a request sent at or after `t` was answered. */
  okSince(t: number): boolean;
  /** Failure reasons of requests sent in [from, to), most frequent first, as "N x reason". */
  failureReasons(n: number, from?: number, to?: number): string[];
  stop(): Promise<void>;
}

export function startServiceTraffic(o: ServiceTrafficOptions): ServiceTraffic {
  const results: ServiceResult[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = o.now();
      const outcome = await getOnce(o.target(), o.timeoutMs ?? 1000);
      results.push({ at: started, ...outcome });
      const wait = (o.intervalMs ?? 20) - (o.now() - started);
      if (wait > 0) await sleep(wait);
    }
  })();
  return {
    countBetween(from, to) {
      let ok = 0;
      let failed = 0;
      for (const r of results) {
        if (r.at < from || r.at >= to) continue;
        if (r.ok) ok++;
        else failed++;
      }
      return { ok, failed };
    },
    okSince: (t) => results.some((r) => r.ok && r.at >= t),
    recentFailures: (n) => results.filter((r) => !r.ok).slice(-n),
    totals: () => ({
      ok: results.filter((r) => r.ok).length,
      failed: results.filter((r) => !r.ok).length,
    }),
    failureReasons(n, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY) {
      const counts = new Map<string, number>();
      for (const r of results) {
        if (r.ok || r.at < from || r.at >= to) continue;
        counts.set(r.error ?? 'unknown', (counts.get(r.error ?? 'unknown') ?? 0) + 1);
      }
      return [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([reason, count]) => `${count} x ${reason}`);
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** One request; never rejects. */
export function getOnce(address: string, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const req = request(
      { host: address.slice(0, colon), port: Number(address.slice(colon + 1)), path: '/', agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('error', (error) => resolve({ ok: false, error: error.message }));
        res.on('end', () =>
          res.statusCode === 200 && body.startsWith('hello')
            ? resolve({ ok: true })
            : resolve({ ok: false, error: `HTTP ${res.statusCode}: ${body.slice(0, 60)}` }),
        );
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ ok: false, error: `${address}: ${error.message}` }));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
