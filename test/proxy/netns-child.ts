/**
 * Runs inside a test's network namespace (`ip netns exec <ns> node netns-child.ts`): HTTP backends,
 * a userspace ServiceProxy and a client, driven by JSON lines on stdin, one answer line each:
 *   {id, op: 'backend', name, ip, port}           -> HTTP server answering its name
 *   {id, op: 'proxy', services, endpoints, mode}  -> ServiceProxy errors (as messages)
 *   {id, op: 'fetch', host, port, count, localAddress?} -> names answered, or 'ERR <code>' per request
 *   {id, op: 'kill-backend', name}
 */
import { createServer, get, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { type ProxyService, type ServiceEndpoint, ServiceProxy } from '@kedge/proxy';

const backends = new Map<string, Server>();
let proxy: ServiceProxy | undefined;

function fetchOnce(host: string, port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve) => {
    const req = get(
      // `timeout` (not req.setTimeout, which starts once connected) also bounds a connect nobody answers.
      { host, port, path: '/', agent: false, timeout: 2000, ...(localAddress ? { localAddress } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve(body));
        res.on('error', (e: NodeJS.ErrnoException) => resolve(`ERR ${e.code ?? e.message}`));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`ERR ${e.code ?? e.message}`));
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  });
}

type Command =
  | { id: number; op: 'backend'; name: string; ip: string; port: number }
  | {
      id: number;
      op: 'proxy';
      services: ProxyService[];
      endpoints: Record<string, ServiceEndpoint[]>;
      mode: 'virtual' | 'loopback';
      nodeAddresses?: string[];
    }
  | { id: number; op: 'fetch'; host: string; port: number; count: number; localAddress?: string }
  | { id: number; op: 'kill-backend'; name: string };

async function handle(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case 'backend': {
      const server = createServer((_req, res) => res.end(cmd.name));
      server.keepAliveTimeout = 60_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(cmd.port, cmd.ip, resolve);
      });
      backends.set(cmd.name, server);
      return { port: (server.address() as { port: number }).port };
    }
    case 'proxy': {
      proxy ??= new ServiceProxy({
        clusterIpMode: cmd.mode,
        nodeAddresses: cmd.nodeAddresses ?? [],
        drainMs: 1000,
      });
      await proxy.setEndpoints(new Map(Object.entries(cmd.endpoints)));
      const errors = await proxy.setServices(cmd.services);
      return errors.map((e) => e.message);
    }
    case 'fetch': {
      const out: string[] = [];
      for (let i = 0; i < cmd.count; i++) out.push(await fetchOnce(cmd.host, cmd.port, cmd.localAddress));
      return out;
    }
    case 'kill-backend': {
      const s = backends.get(cmd.name);
      backends.delete(cmd.name);
      if (s) {
        const closed = new Promise((r) => s.close(r));
        s.closeAllConnections();
        await closed;
      }
      return true;
    }
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as Command;
  handle(cmd).then(
    (result) => process.stdout.write(`${JSON.stringify({ id: cmd.id, result })}\n`),
    (err: unknown) => process.stdout.write(`${JSON.stringify({ id: cmd.id, error: String(err) })}\n`),
  );
});
process.stdin.once('end', () => process.exit(0));
