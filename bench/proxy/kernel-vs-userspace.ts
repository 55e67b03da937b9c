/**
 * The four ways to a backend, side by side in the same run, inside network namespaces this
 * benchmark creates: a client namespace (wrk) joined by a veth pair to a node namespace that holds
 * the backend, kedge's nftables fast path, kedge's userspace proxy and haproxy (mode tcp).
 *
 *   node bench/proxy/kernel-vs-userspace.ts [--duration 5] [--connections 32] [--rounds 3]
 *
 * Needs root, nft, wrk and haproxy (apt-get install -y nftables wrk haproxy). Each target is
 * measured `rounds` times, interleaved, and the median round is printed: the machine may be busy
 * with other work, and interleaving spreads that noise over all four alike.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NftFastPath, ProxyError, type ProxyService, ServiceProxy } from '@kedge/proxy';
import { nodeAndClient } from '../../test/proxy/topology.ts';

const POD_IP = '10.244.0.2';
const POD_PORT = 8080;
const KERNEL_VIP = '10.96.0.10';
const USERSPACE_VIP = '10.96.0.20';
const HAPROXY_VIP = '10.96.0.30';
const NODE = join(process.cwd(), 'node_modules/.bin/node');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function service(clusterIP: string): ProxyService {
  return {
    namespace: 'bench',
    name: 'web',
    type: 'ClusterIP',
    clusterIP,
    ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    sessionAffinity: 'None',
  };
}

const VIEW = new Map([
  [
    'bench/web',
    [
      {
        portName: 'http',
        ip: POD_IP,
        port: POD_PORT,
        protocol: 'TCP' as const,
        ready: true,
        nodeId: 'n1',
        local: true,
      },
    ],
  ],
]);

function runBackend(): void {
  const body = 'x'.repeat(64);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(POD_PORT, POD_IP, () => process.stdout.write('ready\n'));
}

async function runUserspaceProxy(): Promise<void> {
  const proxy = new ServiceProxy({ clusterIpMode: 'virtual', nodeAddresses: [] });
  await proxy.setEndpoints(VIEW);
  const errors = await proxy.setServices([service(USERSPACE_VIP)]);
  if (errors.length > 0) throw errors[0];
  process.stdout.write('ready\n');
}

function spawnInNs(ns: string, file: string, args: string[]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
}

function toMs(v: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(v);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function wrk(ns: string, url: string, seconds: number, connections: number): WrkResult {
  const out = execFileSync(
    'ip',
    ['netns', 'exec', ns, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url],
    { encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '';
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '';
  return { rps, p50ms: toMs(p50), p99ms: toMs(p99) };
}

function median(results: WrkResult[]): WrkResult {
  const sorted = [...results].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const seconds = arg('duration', 5);
  const connections = arg('connections', 32);
  const rounds = arg('rounds', 3);
  const loadBefore = loadavg()[0]!;
  const topo = nodeAndClient([POD_IP, USERSPACE_VIP, HAPROXY_VIP]);
  const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-'));
  const children: ChildProcess[] = [];
  let fast: NftFastPath | undefined;
  try {
    const node = topo.node.name;
    children.push(await spawnInNs(node, NODE, [process.argv[1]!, 'backend']));
    children.push(await spawnInNs(node, NODE, [process.argv[1]!, 'userspace']));
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '  nbthread 1',
        '  maxconn 4096',
        'defaults',
        '  mode tcp',
        '  timeout connect 2s',
        '  timeout client 60s',
        '  timeout server 60s',
        'frontend f',
        `  bind ${HAPROXY_VIP}:80`,
        '  default_backend b',
        'backend b',
        `  server s1 ${POD_IP}:${POD_PORT}`,
        '',
      ].join('\n'),
    );
    children.push(spawn('ip', ['netns', 'exec', node, 'haproxy', '-f', cfg, '-db'], { stdio: 'inherit' }));
    const started = await NftFastPath.start({ netns: node });
    if (started instanceof ProxyError) throw started;
    fast = started;
    await fast.setEndpoints(VIEW);
    const errors = await fast.setServices([service(KERNEL_VIP)]);
    if (errors.length > 0) throw errors[0];
    await new Promise((r) => setTimeout(r, 500));

    const targets: [string, string][] = [
      ['direct', `http://${POD_IP}:${POD_PORT}/`],
      ['kedge kernel (nftables)', `http://${KERNEL_VIP}/`],
      ['kedge userspace', `http://${USERSPACE_VIP}/`],
      ['haproxy (tcp, 1 thread)', `http://${HAPROXY_VIP}/`],
    ];
    const client = topo.client.name;
    for (const [, url] of targets) wrk(client, url, 1, connections); // warm-up
    const results = new Map<string, WrkResult[]>(targets.map(([name]) => [name, []]));
    for (let r = 0; r < rounds; r++)
      for (const [name, url] of targets) results.get(name)!.push(wrk(client, url, seconds, connections));

    const m = new Map([...results].map(([k, v]) => [k, median(v)]));
    const direct = m.get('direct')!;
    const hap = m.get('haproxy (tcp, 1 thread)')!;
    console.log(
      `wrk -t1 -c${connections} -d${seconds}s x ${rounds} rounds (median), client netns -> veth -> node netns, keep-alive Node backend, 64 B bodies`,
    );
    console.log(
      `load average (1 min) before ${loadBefore.toFixed(2)}, after ${loadavg()[0]!.toFixed(2)} on ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores`,
    );
    for (const [name, r] of m)
      console.log(
        `${name.padEnd(24)} ${r.rps.toFixed(0).padStart(8)} req/s  p50 ${r.p50ms.toFixed(3)} ms  p99 ${r.p99ms.toFixed(3)} ms  ` +
          `(x${(r.rps / hap.rps).toFixed(2)} haproxy, added p99 ${(r.p99ms - direct.p99ms).toFixed(3)} ms)`,
      );
    console.log('targets: kernel >= 1.0x haproxy, userspace >= 0.8x haproxy, each < 1 ms added p99');
  } finally {
    await fast?.stop();
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    topo.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
if (role === 'backend') runBackend();
else if (role === 'userspace') await runUserspaceProxy();
else await main();
