/** The dashboard's HTTP side: files, caching, CSP, and the cross-origin rules for failover. */

import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentOrigins } from '../../../agent/src/web/cors-policy.ts';
import { mountDashboard } from '../../../agent/src/web/dashboard-handler.ts';
import { inlineScriptHashes, loadDashboardAssets } from '../../../agent/src/web/static-assets.ts';

let server: Server;
let port: number;
const apiCalls: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    apiCalls.push(`${req.method} ${req.url}`);
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end('{"kind":"Status","code":401}');
  });
  mountDashboard(server, {
    assets: await loadDashboardAssets(),
    allowedOrigins: agentOrigins(() => ['10.0.0.2:6443']),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function call(method: string, urlPath: string, headers: Record<string, string> = {}) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serving the dashboard', () => {
  it('serves the page without a token, with a CSP that admits its import map and nothing inline else', async () => {
    const reply = await call('GET', '/dashboard/');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = reply.body.toString();
    expect(html).toContain('<script type="module" src="main.js">');
    const csp = String(reply.headers['content-security-policy']);
    const [importMap] = inlineScriptHashes(html);
    expect(csp).toContain(`script-src 'self' '${importMap}'`);
    expect(csp).toContain("connect-src 'self' https:");
    expect((await call('GET', '/dashboard')).headers.location).toBe('/dashboard/');
  });
  it('serves the modules and uPlot, gzipped when asked, and 304 on a matching ETag', async () => {
    const plain = await call('GET', '/dashboard/vendor/uPlot.esm.js');
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const gz = await call('GET', '/dashboard/vendor/uPlot.esm.js', { 'Accept-Encoding': 'gzip, br' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(gz.body.length).toBeLessThan(plain.body.length / 2);
    const again = await call('GET', '/dashboard/main.js', { 'If-None-Match': String(plain.headers.etag) });
    expect(again.status).toBe(200);
    const etag = String((await call('GET', '/dashboard/main.js')).headers.etag);
    expect((await call('GET', '/dashboard/main.js', { 'If-None-Match': etag })).status).toBe(304);
  });
  it('refuses unknown files, writes and the type checker’s config', async () => {
    expect((await call('GET', '/dashboard/nope.js')).status).toBe(404);
    expect((await call('GET', '/dashboard/tsconfig.json')).status).toBe(404);
    expect((await call('GET', '/dashboard/../../etc/passwd')).status).toBe(404);
    expect((await call('POST', '/dashboard/main.js')).status).toBe(405);
  });
  it('leaves every other path to the API, which still demands a token', async () => {
    apiCalls.length = 0;
    expect((await call('GET', '/api/v1/pods')).status).toBe(401);
    expect(apiCalls).toEqual(['GET /api/v1/pods']);
  });
});

describe('cross-origin calls from another agent’s page', () => {
  it('answers the preflight of a cluster agent’s origin and marks its replies', async () => {
    const pre = await call('OPTIONS', '/api/v1/pods', {
      Origin: 'https://10.0.0.2:6443',
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'authorization',
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://10.0.0.2:6443');
    expect(pre.headers['access-control-allow-headers']).toContain('Authorization');
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    const reply = await call('GET', '/api/v1/pods', { Origin: 'https://10.0.0.2:6443' });
    expect(reply.headers['access-control-allow-origin']).toBe('https://10.0.0.2:6443');
  });
  it('gives any other origin nothing the browser would let it read', async () => {
    const pre = await call('OPTIONS', '/api/v1/pods', {
      Origin: 'https://evil.example',
      'Access-Control-Request-Method': 'GET',
    });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const reply = await call('GET', '/api/v1/pods', { Origin: 'http://10.0.0.2:6443' });
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the browser modules', () => {
  it('type-check against the DOM and the API types (app/tsconfig.json)', async () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const tsc = path.join(root, 'node_modules/.bin/tsc');
    const run = promisify(execFile);
    const result = await run(tsc, ['-p', 'agent/src/web/app/tsconfig.json'], { cwd: root }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('');
  }, 60_000);
});
