/**
 * The API side of exec on loopback with real TLS: a "voter" (podStreamUpgrades, a real RoleAuthorizer)
 * tunnels to a "node" (nodeExecUpgrades behind an HTTPS server that checks agent certificates),
 * and a "worker" (forwardUpgrades) relays to the voter. The command is a fake; the rest is real.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { notFound } from '../../../../agent/src/api/errors.ts';
import type { Pod } from '../../../../agent/src/api/types/pod.ts';
import {
  podStreamUpgrades,
  podStreamWithoutUpgrade,
} from '../../../../agent/src/apiserver/streaming/pod-stream-proxy.ts';
import { forwardUpgrades } from '../../../../agent/src/apiserver/streaming/upgrade-forwarder.ts';
import { routeUpgrades } from '../../../../agent/src/apiserver/streaming/upgrade-tunnel.ts';
import { RoleAuthorizer } from '../../../../agent/src/auth/authorizer.ts';
import type { Identity } from '../../../../agent/src/auth/tokens.ts';
import { nodeExecUpgrades } from '../../../../agent/src/node/node-exec.ts';
import { createClusterCa, loadCa } from '../../../../agent/src/pki/certificate-authority.ts';
import { issueClientCertificate, issueServerCertificate } from '../../../../agent/src/pki/certificates.ts';
import type { ExecExit, ExecProcess } from '../../../../agent/src/runtime/exec-stream.ts';
import { podmanCli } from '../../../../agent/src/runtime/podman-cli.ts';

const users: Record<string, Identity> = {
  'Bearer admin': { name: 'alice', groups: ['system:masters'] },
  'Bearer viewer': { name: 'victor', groups: ['viewers'] },
};
const pods: Record<string, Partial<Pod['spec']>> = {
  web: { nodeName: 'n1' },
  pending: {},
  lost: { nodeName: 'gone' },
};

/** `echo` of its arguments, exit 0. */
function echo(command: readonly string[]): ExecProcess {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.end(`${command.slice(1).join(' ')}\n`);
  stderr.end();
  return {
    session: 'fake',
    stdin: undefined,
    stdout,
    stderr,
    exited: Promise.resolve<ExecExit>({ kind: 'exited', exitCode: 0 }),
    kill: async () => undefined,
    resize: async () => undefined,
  };
}

const servers: Server[] = [];
let voterPort = 0;
let workerPort = 0;
let deadPort = 0;
const nodeSaw: IncomingMessage[] = [];

const listen = async (server: Server) => {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  const caPem = await createClusterCa();
  const ca = await loadCa(caPem);
  const serving = await issueServerCertificate(ca, {
    commonName: 'agent',
    dnsNames: [],
    ipAddresses: ['127.0.0.1'],
  });
  const agentCert = await issueClientCertificate(ca, { commonName: 'node-1' });
  const tls = {
    cert: serving.certPem,
    key: serving.keyPem,
    ca: caPem.certPem,
    requestCert: true,
    rejectUnauthorized: false,
  };

  const node = createHttpsServer(tls) as unknown as Server;
  const nodeExec = nodeExecUpgrades({
    nodeName: 'n1',
    cli: podmanCli(),
    log: () => undefined,
    kubelet: () => ({ execTarget: async (r) => ({ id: 'c1', container: r.container ?? 'main' }) }),
    start: (_id, command) => echo(command),
  });
  node.on('upgrade', (req: IncomingMessage, socket, head) => {
    nodeSaw.push(req);
    routeUpgrades([nodeExec])(req, socket, head);
  });
  const nodePort = await listen(node);

  const voter = createHttpsServer(tls) as unknown as Server;
  voter.on('request', (req, res) => {
    if (!podStreamWithoutUpgrade(req, res)) res.end();
  });
  voter.on(
    'upgrade',
    routeUpgrades([
      podStreamUpgrades({
        authenticate: (header) => (header === undefined ? undefined : users[header]),
        authorize: (who, attributes) =>
          new RoleAuthorizer([{ role: 'view', group: 'viewers' }]).authorize(who, attributes),
        members: () => [
          { name: 'n1', apiAddress: `127.0.0.1:${nodePort}` },
          { name: 'gone', apiAddress: `127.0.0.1:${deadPort}` },
        ],
        getPod: async (namespace, name) => {
          const spec = pods[name];
          if (spec === undefined) throw notFound('pods', name);
          return { metadata: { name, namespace }, spec: { containers: [], ...spec } } as unknown as Pod;
        },
        caPem: caPem.certPem,
        nodeCert: { cert: agentCert.certPem, key: agentCert.keyPem },
      }),
    ]),
  );
  voterPort = await listen(voter);

  // A port with nothing behind it: taken, then freed.
  const dead = createHttpServer();
  deadPort = await listen(dead);
  await new Promise((resolve) => dead.close(resolve));
  servers.pop();

  const worker = createHttpServer((_req, res) => res.end());
  worker.on(
    'upgrade',
    routeUpgrades([
      forwardUpgrades(() => [`127.0.0.1:${deadPort}`, `127.0.0.1:${voterPort}`], caPem.certPem),
    ]),
  );
  workerPort = await listen(worker);
}, 30_000);

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

type Outcome =
  | { kind: 'session'; stdout: string; status: unknown }
  | { kind: 'refused'; code: number; message: string };

function exec(
  base: string,
  pod: string,
  token: string | undefined,
  query = 'command=echo&command=hi&stdout=true',
  subresource = 'exec',
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `${base}/api/v1/namespaces/default/pods/${pod}/${subresource}?${query}`,
      ['v5.channel.k8s.io'],
      {
        rejectUnauthorized: false,
        ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
      },
    );
    let stdout = '';
    let status: unknown;
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) stdout += data.subarray(1).toString();
      if (data[0] === 3) status = JSON.parse(data.subarray(1).toString());
    });
    ws.on('close', () => resolve({ kind: 'session', stdout, status }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () =>
        resolve({ kind: 'refused', code: res.statusCode ?? 0, message: JSON.parse(body).message }),
      );
    });
    ws.on('error', (error) => {
      if (!error.message.startsWith('Unexpected server response')) reject(error);
    });
  });
}

describe('exec through the API to the node', () => {
  const voter = () => `wss://127.0.0.1:${voterPort}`;

  it('tunnels an authorised session to the node, with the agent certificate and without the user token', async () => {
    expect(await exec(voter(), 'web', 'admin')).toEqual({
      kind: 'session',
      stdout: 'hi\n',
      status: { metadata: {}, status: 'Success' },
    });
    const seen = nodeSaw.at(-1)!;
    expect(seen.url).toBe('/kedge/node/v1/exec/default/web?command=echo&command=hi&stdout=true');
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('refuses the view role (no create on pods/exec, pods/portforward) and anonymous clients', async () => {
    const viewer = await exec(voter(), 'web', 'viewer');
    expect(viewer).toMatchObject({ kind: 'refused', code: 403 });
    expect((viewer as { message: string }).message).toContain(
      'User "victor" cannot create resource "pods/exec" in API group "" in the namespace "default"',
    );
    expect(await exec(voter(), 'web', undefined)).toMatchObject({ kind: 'refused', code: 401 });
    const forward = await exec(voter(), 'web', 'viewer', '', 'portforward');
    expect(forward).toMatchObject({ kind: 'refused', code: 403 });
    expect((forward as { message: string }).message).toContain('cannot create resource "pods/portforward"');
  });

  it('answers a missing pod, an unscheduled pod, a missing command and a dead node with a Status', async () => {
    expect(await exec(voter(), 'ghost', 'admin')).toEqual({
      kind: 'refused',
      code: 404,
      message: 'pods "ghost" not found',
    });
    expect(await exec(voter(), 'pending', 'admin')).toMatchObject({ kind: 'refused', code: 400 });
    expect(await exec(voter(), 'web', 'admin', 'stdout=true')).toMatchObject({
      kind: 'refused',
      code: 400,
      message: expect.stringContaining('at least 1 command'),
    });
    const dead = await exec(voter(), 'lost', 'admin');
    expect(dead).toMatchObject({ kind: 'refused', code: 503, message: expect.stringContaining('node gone') });
  });

  it('relays a worker client through the first voter that answers', async () => {
    expect(
      await exec(
        `ws://127.0.0.1:${workerPort}`,
        'web',
        'admin',
        'command=echo&command=via&command=worker&stdout=true',
      ),
    ).toEqual({
      kind: 'session',
      stdout: 'via worker\n',
      status: { metadata: {}, status: 'Success' },
    });
  });

  it('tells a client that did not upgrade how to ask', async () => {
    const reply = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: voterPort,
          method: 'POST',
          path: '/api/v1/namespaces/default/pods/web/exec?command=ls',
          rejectUnauthorized: false,
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(reply.code).toBe(400);
    expect(JSON.parse(reply.body).message).toContain('Upgrade: websocket');
  });
});
