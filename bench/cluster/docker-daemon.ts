/**
 * A throw-away Docker engine for the anchor: dockerd with its own data root, exec root and socket
 * in a temp dir, a one-node swarm on 127.0.0.1, the busybox image loaded from podman. Stopping it
 * leaves the machine as it was: swarm left, dockerd (and its containerd) stopped, mounts under the
 * temp dir unmounted, the docker0 / docker_gwbridge links and Docker's iptables chains and jumps
 * removed, the FORWARD policy restored (dockerd sets it to DROP).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BASE_IMAGE } from '../../agent/src/image/base-image.ts';
import { defaultPodmanConfig, podmanCli } from '../../agent/src/runtime/podman-cli.ts';
import { pollUntil, sleep } from './timing.ts';

const run = promisify(execFile);
const API = '/v1.41';

export class DockerError extends Error {
  readonly kind: 'NotInstalled' | 'Http' | 'Failed';
  constructor(kind: 'NotInstalled' | 'Http' | 'Failed', message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface DockerDaemon {
  readonly socket: string;
  call<T>(method: string, apiPath: string, body?: unknown): Promise<T>;
  /** The docker CLI against this daemon. */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<string[]>;
}

export async function startDockerSwarm(log: (line: string) => void): Promise<DockerDaemon> {
  await run('dockerd', ['--version']).catch(() => {
    throw new DockerError('NotInstalled', 'dockerd is missing: apt-get install -y docker.io');
  });
  const root = await mkdtemp(path.join(tmpdir(), 'kedge-swarm-'));
  const socket = path.join(root, 'docker.sock');
  const forwardPolicy =
    (await run('iptables', ['-S', 'FORWARD'])).stdout.split('\n')[0] ?? '-P FORWARD ACCEPT';
  const out = openSync(path.join(root, 'dockerd.log'), 'a');
  const daemon: ChildProcess = spawn(
    'dockerd',
    [
      '--data-root',
      path.join(root, 'data'),
      '--exec-root',
      path.join(root, 'exec'),
      '--pidfile',
      path.join(root, 'dockerd.pid'),
      '-H',
      `unix://${socket}`,
      '--iptables=true',
      '--exec-opt',
      'native.cgroupdriver=cgroupfs',
    ],
    { stdio: ['ignore', out, out] },
  );
  const call = <T>(method: string, apiPath: string, body?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: socket,
          method,
          path: `${API}${apiPath}`,
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const json = (res.headers['content-type'] ?? '').includes('json');
            if (status >= 200 && status < 300) resolve((json && text ? JSON.parse(text) : text) as T);
            else
              reject(new DockerError('Http', `${method} ${apiPath}: HTTP ${status} ${text.slice(0, 300)}`));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const cli = async (...args: string[]) =>
    (await run('/usr/bin/docker', ['-H', `unix://${socket}`, ...args])).stdout;

  const stop = async (): Promise<string[]> => {
    const notes: string[] = [];
    const note = (what: string) => (e: Error) => notes.push(`${what}: ${e.message.split('\n')[0]}`);
    if (daemon.exitCode === null) {
      await cli('swarm', 'leave', '--force').catch(note('swarm leave'));
      daemon.kill('SIGTERM');
      const deadline = Date.now() + 20_000;
      while (daemon.exitCode === null && daemon.signalCode === null && Date.now() < deadline)
        await sleep(100);
      if (daemon.exitCode === null && daemon.signalCode === null) {
        daemon.kill('SIGKILL');
        notes.push('dockerd did not stop within 20 s: killed');
      }
    }
    // containerd-shims and mounts (overlay, netns) of this daemon live under our root only.
    const mounts = (await readFile('/proc/mounts', 'utf8'))
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(root))
      .reverse();
    for (const m of mounts) await run('umount', ['-l', m]).catch(note(`umount ${m}`));
    await removeDockerNetworking(notes);
    await run('iptables', forwardPolicy.split(' ')).catch(note('restore FORWARD policy'));
    await rm(root, { recursive: true, force: true }).catch(note(`rm ${root}`));
    return notes;
  };

  try {
    await pollUntil(
      'dockerd answering',
      async () => ((await call('GET', '/_ping').catch(() => 'no')) === 'no' ? undefined : true),
      60_000,
      200,
    ).catch(async (e: Error) => {
      const tail = (await readFile(path.join(root, 'dockerd.log'), 'utf8').catch(() => '')).slice(-1500);
      throw new DockerError('Failed', `${e.message}; dockerd.log ends:\n${tail}`);
    });
    log('  swarm: dockerd up; swarm init');
    await cli('swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377');
    // The same rootfs as kedge's image: podman's docker-archive of localhost/kedge/busybox.
    const archive = path.join(root, 'busybox.tar');
    await podmanCli(defaultPodmanConfig).run([
      'save',
      '--format',
      'docker-archive',
      '-o',
      archive,
      BASE_IMAGE,
    ]);
    await cli('load', '-i', archive);
    return { socket, call, cli, stop };
  } catch (error) {
    const notes = await stop();
    if (notes.length > 0) log(`  swarm cleanup: ${notes.join('; ')}`);
    throw error;
  }
}

/**
 * Deletes Docker's bridges, its iptables chains and every rule that jumps to them or names its
 * bridges (also usable by hand after a crashed run: nothing else on these machines uses Docker).
 */
export async function removeDockerNetworking(notes: string[]): Promise<void> {
  for (const link of ['docker0', 'docker_gwbridge'])
    await run('ip', ['link', 'del', link]).catch((e: Error) => {
      if (!/Cannot find device/.test(e.message))
        notes.push(`ip link del ${link}: ${e.message.split('\n')[0]}`);
    });
  for (const table of ['filter', 'nat', 'mangle', 'raw']) {
    const saved = (await run('iptables-save', ['-t', table])).stdout.split('\n');
    const chains = saved.filter((l) => l.startsWith(':DOCKER')).map((l) => l.slice(1).split(' ')[0]!);
    const rules = saved.filter(
      (l) => l.startsWith('-A ') && !l.startsWith('-A DOCKER') && /DOCKER|docker0|docker_gwbridge/.test(l),
    );
    // iptables-save's lines are shell words already.
    for (const rule of rules)
      await run('sh', ['-c', `iptables -t ${table} -D ${rule.slice(3)}`]).catch((e: Error) =>
        notes.push(`iptables -t ${table} -D ${rule.slice(3)}: ${e.message.split('\n')[0]}`),
      );
    for (const chain of chains)
      await run('iptables', ['-t', table, '-F', chain]).catch((e: Error) =>
        notes.push(`iptables -t ${table} -F ${chain}: ${e.message.split('\n')[0]}`),
      );
    for (const chain of chains)
      await run('iptables', ['-t', table, '-X', chain]).catch((e: Error) =>
        notes.push(`iptables -t ${table} -X ${chain}: ${e.message.split('\n')[0]}`),
      );
  }
}
