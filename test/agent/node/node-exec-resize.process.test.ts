/**
 * `kubectl exec -t` resize against a real node endpoint and a real container: the node's exec
 * upgrade (node-exec.ts) with the real `podman exec -t` (runtime/exec-stream.ts). The client here
 * speaks v5.channel.k8s.io itself, because kubectl sends resize messages only from a real
 * terminal: channel 4 carries {"Width","Height"}, and `stty size` inside the container must
 * answer with it, for the first size and for a later one.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { routeUpgrades } from '../../../agent/src/apiserver/streaming/upgrade-tunnel.ts';
import { nodeExecUpgrades } from '../../../agent/src/node/node-exec.ts';
import { podmanCli } from '../../../agent/src/runtime/podman-cli.ts';

const cli = podmanCli();
const container = `kedge-exec-resize-${process.pid}`;
let server: Server;
let port: number;

beforeAll(async () => {
  await cli.run([
    'run',
    '-d',
    '--name',
    container,
    '--network',
    'none',
    '--ulimit',
    'nofile=1024:1024',
    '--ulimit',
    'nproc=1024:1024',
    'localhost/kedge/busybox:latest',
    'sleep',
    '600',
  ]);
  server = createServer((_req, res) => res.end());
  server.on(
    'upgrade',
    routeUpgrades([
      nodeExecUpgrades({
        nodeName: 'n1',
        cli,
        log: (message) => console.error(message),
        allowed: () => true,
        kubelet: () => ({ execTarget: async () => ({ id: container, container: 'main' }) }),
      }),
    ]),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await cli.run(['rm', '-f', '-t', '0', container]);
});

const resize = (width: number, height: number) =>
  Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: width, Height: height }))]);
const stdin = (text: string) => Buffer.concat([Buffer.from([0]), Buffer.from(text)]);

describe('exec -t resize on a real container', () => {
  it('gives the terminal the size sent on channel 4, first and after a later resize', async () => {
    // Prints the terminal's size for every line read; `q` ends with exit code 3.
    const script = 'while read x; do [ "$x" = q ] && exit 3; stty size; done';
    const query = new URLSearchParams([
      ['command', 'sh'],
      ['command', '-c'],
      ['command', script],
      ['stdin', 'true'],
      ['stdout', 'true'],
      ['tty', 'true'],
    ]);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/kedge/node/v1/exec/default/p?${query}`, [
      'v5.channel.k8s.io',
    ]);
    let output = '';
    let status: { status?: string; details?: { causes?: { message: string }[] } } | undefined;
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) output += data.subarray(1).toString();
      if (data[0] === 3) status = JSON.parse(data.subarray(1).toString());
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    // As kubectl does: the terminal's size first, then input.
    ws.send(resize(100, 40));
    await expect
      .poll(
        () => {
          ws.send(stdin('\n'));
          return output;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toMatch(/\b40 100\r?\n/);
    ws.send(resize(132, 50));
    await expect
      .poll(
        () => {
          ws.send(stdin('\n'));
          return output;
        },
        { timeout: 5000, interval: 200 },
      )
      .toMatch(/\b50 132\r?\n/);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.send(stdin('q\n'));
    expect(await closed).toBe(1000);
    expect(status?.status).toBe('Failure');
    expect(status?.details?.causes?.[0]?.message).toBe('3');
  });
});
