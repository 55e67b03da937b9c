/**
 * A throwaway single-member etcd for tests: Debian's /usr/bin/etcd (or $KEDGE_ETCD) on 127.0.0.1
 * with free ports and a temp data dir; stop() kills it and removes the dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ETCD_BINARY = process.env.KEDGE_ETCD ?? '/usr/bin/etcd';
export const etcdAvailable = (): boolean => existsSync(ETCD_BINARY);

export interface EtcdProcess {
  readonly endpoint: string;
  readonly hostPort: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts etcd and resolves once it answers /health; rejects (and cleans up) within `timeoutMs`. */
export async function startEtcd(timeoutMs = 15_000): Promise<EtcdProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kedge-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    ETCD_BINARY,
    [
      '--name=test',
      `--data-dir=${path.join(dir, 'data')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      '--logger=zap',
      '--log-outputs=stderr',
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`etcd exited with ${child.exitCode}: ${output.join('').slice(-2000)}`);
    }
    try {
      const res = await fetch(`${client}/health`);
      if (res.ok && ((await res.json()) as { health?: string }).health === 'true') break;
    } catch {
      // not listening yet: keep polling until the deadline
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not become healthy in ${timeoutMs} ms: ${output.join('').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { endpoint: client, hostPort: `127.0.0.1:${clientPort}`, stop };
}
