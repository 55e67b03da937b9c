import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngressProxy, type ProxyIngress, type ProxyService, type ServiceEndpoint } from '@kedge/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../agent/gossip/cluster-fixture.ts';

const INGRESS_IP = '127.0.0.91';
const HOSTS = ['a.example.test', 'b.example.test'];

interface Reply {
  status: number;
  body: string;
}

/** A backend answering `<name> <path> <x-forwarded-for> <x-forwarded-proto>`, and echoing after an Upgrade. */
async function backend(name: string, ip: string) {
  const server = createServer((req, res) =>
    res.end(`${name} ${req.url} ${req.headers['x-forwarded-for']} ${req.headers['x-forwarded-proto']}`),
  );
  server.on('upgrade', (req, socket) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${req.headers.upgrade}\r\nconnection: Upgrade\r\n\r\n`,
    );
    socket.on('data', (d: Buffer) => socket.write(`${name}:${d.toString()}`));
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((r) => server.listen(0, ip, r));
  return { name, ip, port: (server.address() as { port: number }).port, server };
}

function get(port: number, host: string, path: string, headers: IncomingHttpHeaders = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: INGRESS_IP, port, path, agent: false, headers: { host, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function getTls(port: number, host: string, path: string, ca: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: INGRESS_IP, port, path, servername: host, ca, agent: false, headers: { host } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ingress proxy over real sockets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-ingress-'));
  const certs = new Map<string, { cert: string; key: string }>();
  const servers: { server: ReturnType<typeof createServer> }[] = [];
  let proxy: IngressProxy;
  let httpPort = 0;
  let httpsPort = 0;

  beforeAll(async () => {
    for (const host of HOSTS) {
      const key = join(dir, `${host}.key`);
      const crt = join(dir, `${host}.crt`);
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          key,
          '-out',
          crt,
          '-days',
          '1',
          '-subj',
          `/CN=${host}`,
          '-addext',
          `subjectAltName=DNS:${host}`,
        ],
        { stdio: 'pipe' },
      );
      certs.set(host, { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') });
    }
    const web = [await backend('web-0', '127.0.0.92'), await backend('web-1', '127.0.0.93')];
    const api = await backend('api-0', '127.0.0.94');
    const docs = await backend('docs-0', '127.0.0.95');
    servers.push(...web, api, docs);
    const svc = (name: string): ProxyService => ({
      namespace: 'shop',
      name,
      type: 'ClusterIP',
      clusterIP: '10.96.0.1',
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      sessionAffinity: 'None',
    });
    const ep = (b: { ip: string; port: number }, ready = true): ServiceEndpoint => ({
      portName: 'http',
      ip: b.ip,
      port: b.port,
      protocol: 'TCP',
      ready,
      nodeId: 'n1',
      local: true,
    });
    const route = (path: string, service: string) => ({
      path,
      pathType: 'Prefix' as const,
      backend: { service: { name: service, port: { number: 80 } } },
    });
    const ingress: ProxyIngress = {
      metadata: { namespace: 'shop', name: 'shop' },
      spec: {
        tls: HOSTS.map((h) => ({ hosts: [h], secretName: `${h}-tls` })),
        rules: [
          { host: HOSTS[0], http: { paths: [route('/', 'web'), route('/api', 'api')] } },
          { host: HOSTS[1], http: { paths: [route('/', 'docs'), route('/down', 'down')] } },
        ],
      },
    };
    httpPort = await freePort(INGRESS_IP);
    httpsPort = await freePort(INGRESS_IP);
    proxy = new IngressProxy({ address: INGRESS_IP, httpPort, httpsPort });
    expect(await proxy.listen()).toBeUndefined();
    const problems = proxy.update(
      [ingress],
      ['web', 'api', 'docs', 'down'].map(svc),
      new Map([
        ['shop/web', web.map((b) => ep(b))],
        ['shop/api', [ep(api)]],
        ['shop/docs', [ep(docs)]],
        ['shop/down', [ep(docs, false)]],
      ]),
      HOSTS.map((h) => ({ namespace: 'shop', name: `${h}-tls`, ...certs.get(h)! })),
    );
    expect(problems).toEqual([]);
  });

  afterAll(async () => {
    await proxy?.close(1000);
    for (const s of servers) {
      s.server.closeAllConnections();
      s.server.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes two hosts and two paths to the right Services over HTTP', async () => {
    expect((await get(httpPort, HOSTS[0]!, '/api/v1')).body).toMatch(/^api-0 \/api\/v1 /);
    expect((await get(httpPort, HOSTS[0]!, '/shop')).body).toMatch(/^web-[01] \/shop /);
    expect((await get(httpPort, HOSTS[1]!, '/guide')).body).toMatch(/^docs-0 \/guide /);
  });

  it('terminates TLS with each host’s own certificate and routes the same way over HTTPS', async () => {
    const a = await getTls(httpsPort, HOSTS[0]!, '/api/x', certs.get(HOSTS[0]!)!.cert);
    expect(a.body).toBe('api-0 /api/x 127.0.0.1 https');
    const b = await getTls(httpsPort, HOSTS[1]!, '/', certs.get(HOSTS[1]!)!.cert);
    expect(b.body).toMatch(/^docs-0 \/ /);
    // Host b's certificate does not verify for host a: SNI really chose per host.
    await expect(getTls(httpsPort, HOSTS[0]!, '/', certs.get(HOSTS[1]!)!.cert)).rejects.toThrow();
  });

  it('adds X-Forwarded-For after what the client sent, and X-Forwarded-Proto', async () => {
    const r = await get(httpPort, HOSTS[0]!, '/api', { 'x-forwarded-for': '203.0.113.7' });
    expect(r.body).toBe('api-0 /api 203.0.113.7, 127.0.0.1 http');
  });

  it('answers 404 for no rule and 503 when no endpoint is ready', async () => {
    expect((await get(httpPort, 'nowhere.test', '/')).status).toBe(404);
    expect((await get(httpPort, HOSTS[1]!, '/down/x')).status).toBe(503);
  });

  it('spreads requests over the ready endpoints of a route', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 10; i++) names.add((await get(httpPort, HOSTS[0]!, '/')).body.split(' ')[0]!);
    expect([...names].sort()).toEqual(['web-0', 'web-1']);
  });

  it('passes an Upgrade (WebSocket handshake) through to the backend', async () => {
    const socket = connect(httpPort, INGRESS_IP);
    socket.write(
      `GET /api/ws HTTP/1.1\r\nhost: ${HOSTS[0]}\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n`,
    );
    let got = '';
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.includes('\r\n\r\n') && !got.includes('ping')) socket.write('ping');
        if (got.includes('api-0:ping')) resolve();
      });
    });
    socket.destroy();
    expect(got).toMatch(/^HTTP\/1.1 101/);
  });
});
