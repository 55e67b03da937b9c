/**
 * A throwaway single-member etcd for tests: Debian's /usr/bin/etcd (or $KEDGE_ETCD) on 127.0.0.1
 * with free ports and a temp data dir, optionally serving TLS; pause/resume/restart for outage
 * tests; stop() kills it and removes the dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ETCD_BINARY = process.env.KEDGE_ETCD ?? '/usr/bin/etcd';
export const etcdAvailable = (): boolean => existsSync(ETCD_BINARY);

export interface EtcdProcess {
  readonly endpoint: string;
  readonly hostPort: string;
  /** SIGSTOP: etcd keeps its sockets open but answers nothing (a frozen or partitioned member). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** kill -9, then start again on the same ports and data (what a crash and a restart look like). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** TLS for etcds:// tests: etcd serves with cert/key and, with `clientCa`, demands client certificates. */
export interface EtcdTls {
  readonly cert: string;
  readonly key: string;
  readonly clientCa?: string;
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
export async function startEtcd(timeoutMs = 15_000, tls?: EtcdTls): Promise<EtcdProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kedge-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
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
    ...(tls === undefined ? [] : [`--cert-file=${tls.cert}`, `--key-file=${tls.key}`]),
    ...(tls?.clientCa === undefined ? [] : [`--trusted-ca-file=${tls.clientCa}`, '--client-cert-auth']),
  ];
  // Health over plain HTTP works only without TLS; with TLS, a listening port is the signal.
  const healthy = async (): Promise<boolean> => {
    if (tls === undefined) {
      const res = await fetch(`${client}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    }
    return new Promise((resolve) => {
      const socket = connect(clientPort, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  };
  const output: string[] = [];
  let child: ChildProcess;
  let exited: Promise<void>;
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const stop = async (): Promise<void> => {
    await kill();
    await rm(dir, { recursive: true, force: true });
  };
  const launch = async (): Promise<void> => {
    child = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) {
        await stop();
        throw new Error(`etcd exited with ${child.exitCode}: ${output.join('').slice(-2000)}`);
      }
      try {
        if (await healthy()) return;
      } catch {
        // not listening yet: keep polling until the deadline
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`etcd did not become healthy in ${timeoutMs} ms: ${output.join('').slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await launch();
  return {
    endpoint: client,
    hostPort: `127.0.0.1:${clientPort}`,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      child.kill('SIGCONT');
      await stop();
    },
  };
}
