/**
 * Ingress on a real `kedge up` cluster (3 agents, real podman): two Deployments/Services (busybox
 * httpd answering "<app> <hostname>"), one Ingress routing a.test/ -> alpha, b.test/ -> beta and
 * a host-less /beta prefix -> beta, /alpha exact -> alpha, TLS for a.test from a kubernetes.io/tls
 * Secret. Requests go through one agent's Ingress ports (API port + 500 HTTP, + 600 HTTPS on a
 * shared machine) with Host headers and SNI; the right backend must answer, unknown hosts get 404.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGRESS_HTTP_PORT_OFFSET, INGRESS_HTTPS_PORT_OFFSET } from '../../agent/src/node/edge-config.ts';
import {
  BUSYBOX,
  isRunningReady,
  type LocalTestCluster,
  startLocalCluster,
  waitFor,
} from './local-cluster-harness.ts';

const run = promisify(execFile);
let cluster: LocalTestCluster;
let host = '';
let apiPort = 0;
let cert = '';

function deployment(app: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          containers: [
            {
              name: 'web',
              image: BUSYBOX,
              command: [
                'sh',
                '-c',
                `mkdir -p /www/${app} && echo "${app} $(hostname)" > /www/index.html && cp /www/index.html /www/${app}/index.html && cp /www/index.html /www/${app}/x && exec httpd -f -p 8080 -h /www`,
              ],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

const service = (app: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: app },
  spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});

const backend = (name: string) => ({ service: { name, port: { number: 80 } } });

interface Reply {
  status: number;
  body: string;
}

function get(
  port: number,
  hostHeader: string,
  urlPath: string,
  tls?: { servername: string; ca: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const options = { host, port, path: urlPath, headers: { host: hostHeader }, agent: false, timeout: 3000 };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      res.on('error', reject);
    };
    const req = tls
      ? httpsRequest({ ...options, servername: tls.servername, ca: tls.ca }, onResponse)
      : request(options, onResponse);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  cluster = await startLocalCluster('ing');
  const agent = cluster.up.agents[1] ?? cluster.up.agents[0];
  if (!agent) throw new Error('no agent');
  const colon = agent.apiAddress.lastIndexOf(':');
  host = agent.apiAddress.slice(0, colon);
  apiPort = Number(agent.apiAddress.slice(colon + 1));
  // A self-signed certificate for a.test, given to the Ingress as a kubernetes.io/tls Secret.
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=a.test',
    '-addext',
    'subjectAltName=DNS:a.test',
    '-keyout',
    path.join(cluster.dir, 'tls.key'),
    '-out',
    path.join(cluster.dir, 'tls.crt'),
  ]);
  cert = await readFile(path.join(cluster.dir, 'tls.crt'), 'utf8');
  const key = await readFile(path.join(cluster.dir, 'tls.key'), 'utf8');
  for (const app of ['alpha', 'beta']) {
    await cluster.create(deployment(app));
    await cluster.create(service(app));
  }
  await cluster.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'a-tls' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(cert).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
  });
  await cluster.create({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web' },
    spec: {
      tls: [{ hosts: ['a.test'], secretName: 'a-tls' }],
      rules: [
        { host: 'a.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('alpha') }] } },
        { host: 'b.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('beta') }] } },
        {
          http: {
            paths: [
              { path: '/beta', pathType: 'Prefix', backend: backend('beta') },
              { path: '/alpha/x', pathType: 'Exact', backend: backend('alpha') },
            ],
          },
        },
      ],
    },
  });
  await waitFor(
    'alpha and beta pods ready',
    async () => {
      const pods = [...(await cluster.pods('app=alpha')), ...(await cluster.pods('app=beta'))];
      return pods.filter(isRunningReady).length === 2 ? true : undefined;
    },
    60_000,
    async () => cluster.kubectl('get', 'pods', '-o', 'wide'),
  );
}, 150_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

describe('Ingress through an agent', () => {
  it('routes by Host header and path over HTTP', async () => {
    const http = apiPort + INGRESS_HTTP_PORT_OFFSET;
    // The routes appear once the agent's informers and gossip table have the new objects.
    const first = await waitFor(
      'a.test routed to alpha',
      async () => {
        const r = await get(http, 'a.test', '/');
        return r.status === 200 ? r : undefined;
      },
      20_000,
    );
    expect(first.body).toMatch(/^alpha /);
    expect((await get(http, 'b.test', '/')).body).toMatch(/^beta /);
    expect((await get(http, 'B.TEST:80', '/')).body).toMatch(/^beta /);
    expect((await get(http, 'other.test', '/beta/')).body).toMatch(/^beta /);
    expect((await get(http, 'other.test', '/alpha/x')).body).toMatch(/^alpha /);
    // Exact: /alpha/x/ is not /alpha/x, and nothing else matches a host-less /alpha.
    expect((await get(http, 'other.test', '/alpha/x/')).status).toBe(404);
    expect((await get(http, 'other.test', '/')).status).toBe(404);
  }, 30_000);

  it('serves HTTPS with the Secret certificate chosen by SNI', async () => {
    const https = apiPort + INGRESS_HTTPS_PORT_OFFSET;
    const r = await waitFor(
      'a.test over HTTPS',
      async () => {
        const reply = await get(https, 'a.test', '/', { servername: 'a.test', ca: cert });
        return reply.status === 200 ? reply : undefined;
      },
      20_000,
    );
    expect(r.body).toMatch(/^alpha /);
    // No certificate for b.test: the handshake is refused.
    await expect(get(https, 'b.test', '/', { servername: 'b.test', ca: cert })).rejects.toThrow();
  }, 30_000);
});
