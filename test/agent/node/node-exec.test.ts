import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { badRequest } from '../../../agent/src/api/errors.ts';
import { routeUpgrades } from '../../../agent/src/apiserver/streaming/upgrade-tunnel.ts';
import { nodeExecUpgrades } from '../../../agent/src/node/node-exec.ts';
import type { ExecExit, ExecProcess } from '../../../agent/src/runtime/exec-stream.ts';
import { podmanCli } from '../../../agent/src/runtime/podman-cli.ts';

/** A command that copies stdin to stdout and exits with `code` when stdin ends. */
function catCommand(code: number) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let settle: (exit: ExecExit) => void = () => undefined;
  const exited = new Promise<ExecExit>((resolve) => {
    settle = resolve;
  });
  const killed = { count: 0 };
  const resized: { width: number; height: number }[] = [];
  stdin.pipe(stdout);
  stdin.on('end', () => {
    stderr.end('bye\n');
    setImmediate(() => settle({ kind: 'exited', exitCode: code }));
  });
  const command: ExecProcess = {
    session: 's1',
    stdin,
    stdout,
    stderr,
    exited,
    async kill() {
      killed.count++;
      stdout.end();
      stderr.end();
      settle({ kind: 'failed', message: 'killed' });
    },
    async resize(size) {
      resized.push(size);
    },
  };
  return { command, killed, resized };
}

describe('node exec endpoint', () => {
  let server: Server;
  let port: number;
  let started: { command: readonly string[]; options: unknown }[];
  let next: ReturnType<typeof catCommand>;

  beforeEach(async () => {
    started = [];
    next = catCommand(3);
    server = createServer((_req, res) => res.end());
    server.on(
      'upgrade',
      routeUpgrades([
        nodeExecUpgrades({
          nodeName: 'n1',
          cli: podmanCli(),
          log: () => undefined,
          allowed: () => true,
          kubelet: () => ({
            execTarget: async (r) => {
              if (r.container === 'missing')
                throw badRequest(`container missing is not valid for pod ${r.name}`);
              return { id: 'c1', container: r.container ?? 'web' };
            },
          }),
          start: (_id, command, options) => {
            started.push({ command, options });
            return next.command;
          },
        }),
      ]),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const url = (query: string, container = 'web') =>
    `ws://127.0.0.1:${port}/kedge/node/v1/exec/default/p?container=${container}&${query}`;

  it('streams stdin to the command, its output back, and ends with the exit code on channel 3', async () => {
    const ws = new WebSocket(url('command=cat&stdin=true&stdout=true&stderr=true'), [
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
    ]);
    const frames: { channel: number; text: string }[] = [];
    ws.on('message', (data: Buffer) => frames.push({ channel: data[0]!, text: data.subarray(1).toString() }));
    await new Promise((resolve) => ws.once('open', resolve));
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    ws.send(Buffer.from([0, ...Buffer.from('data\n')]));
    ws.send(Buffer.from([255, 0]));
    const code = await new Promise((resolve) => ws.once('close', resolve));
    expect(code).toBe(1000);
    expect(started).toEqual([{ command: ['cat'], options: { stdin: true, tty: false } }]);
    expect(
      frames
        .filter((f) => f.channel === 1)
        .map((f) => f.text)
        .join(''),
    ).toBe('data\n');
    expect(
      frames
        .filter((f) => f.channel === 2)
        .map((f) => f.text)
        .join(''),
    ).toBe('bye\n');
    const status = frames.at(-1)!;
    expect(status.channel).toBe(3);
    expect(JSON.parse(status.text)).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(next.killed.count).toBe(0);
  });

  it('hands resize messages to a terminal session, and not to one without -t', async () => {
    for (const tty of [true, false]) {
      next = catCommand(0);
      const ws = new WebSocket(url(`command=cat&stdin=true&stdout=true&tty=${tty}`), ['v5.channel.k8s.io']);
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(Buffer.from([4, ...Buffer.from('{"Width":100,"Height":40}')]));
      ws.send(Buffer.from([4, ...Buffer.from('{"Width":0,"Height":0}')]));
      // Frames are handled in order: by the close of stdin, both resizes were seen.
      ws.send(Buffer.from([255, 0]));
      await new Promise((resolve) => ws.once('close', resolve));
      expect(next.resized).toEqual(tty ? [{ width: 100, height: 40 }] : []);
    }
  });

  it('kills the command when the client goes away mid-session', async () => {
    const ws = new WebSocket(url('command=cat&stdin=true&stdout=true'), ['v5.channel.k8s.io']);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.terminate();
    await expect.poll(() => next.killed.count, { timeout: 2000 }).toBe(1);
  });

  it('refuses an unknown container with a Status in place of the upgrade', async () => {
    const ws = new WebSocket(url('command=ls&stdout=true', 'missing'), ['v5.channel.k8s.io']);
    const reply = await new Promise<{ code: number; body: string }>((resolve) =>
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      }),
    );
    ws.on('error', () => undefined);
    expect(reply.code).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({
      kind: 'Status',
      message: 'container missing is not valid for pod p',
    });
    expect(started).toEqual([]);
  });

  it('tells a client offering only protocols kedge does not speak which kubectl to use', async () => {
    const reply = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/kedge/node/v1/exec/default/p?command=ls&stdout=true',
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'SPDY/3.1',
          'X-Stream-Protocol-Version': 'v3.channel.k8s.io, v2.channel.k8s.io',
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(reply.code).toBe(400);
    expect(JSON.parse(reply.body).message).toMatch(
      /offered v3.channel.k8s.io, v2.channel.k8s.io over SPDY.*kubectl 1\.30 and newer/,
    );
  });

  it('refuses a client that offers no channel protocol kedge speaks', async () => {
    const ws = new WebSocket(url('command=ls&stdout=true'), ['channel.k8s.io']);
    ws.on('error', () => undefined);
    const code = await new Promise<number>((resolve) =>
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(code).toBe(400);
  });
});
