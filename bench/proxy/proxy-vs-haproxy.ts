/**
 * Userspace proxy vs a direct connection vs haproxy (mode tcp), same backend, same run.
 *
 *   node bench/proxy/proxy-vs-haproxy.ts [--duration 8] [--connections 32]
 *
 * Needs wrk and haproxy (apt-get install -y wrk haproxy). The backend is a keep-alive Node HTTP
 * server in its own process; our proxy runs in its own process too, so each has its own event
 * loop. haproxy runs with one thread, like our single-threaded proxy.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProxy } from '@kedge/proxy';

const BACKEND_IP = '127.0.0.71';
const PROXY_IP = '127.0.0.72';
const HAPROXY_IP = '127.0.0.73';
const PORT = 18080;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function runBackend(): Promise<void> {
  const body = 'x'.repeat(64);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(PORT, BACKEND_IP, () => process.stdout.write('ready\n'));
}

async function runProxy(): Promise<void> {
  const proxy = new ServiceProxy({ clusterIpMode: 'loopback', nodeAddresses: [] });
  await proxy.setEndpoints(
    new Map([
      [
        'bench/web',
        [
          {
            portName: 'http',
            ip: BACKEND_IP,
            port: PORT,
            protocol: 'TCP',
            ready: true,
            nodeId: 'n1',
            local: true,
          },
        ],
      ],
    ]),
  );
  const errors = await proxy.setServices([
    {
      namespace: 'bench',
      name: 'web',
      type: 'ClusterIP',
      clusterIP: PROXY_IP,
      ports: [{ name: 'http', protocol: 'TCP', port: PORT }],
      sessionAffinity: 'None',
    },
  ]);
  if (errors.length > 0) throw errors[0];
  process.stdout.write('ready\n');
}

function spawnRole(role: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [process.argv[1]!, role], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
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

function wrk(url: string, seconds: number, connections: number): WrkResult {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], {
    encoding: 'utf8',
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '';
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '';
  return { rps, p50ms: toMs(p50), p99ms: toMs(p99) };
}

async function main(): Promise<void> {
  const seconds = arg('duration', 8);
  const connections = arg('connections', 32);
  const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-'));
  const children: ChildProcess[] = [];
  try {
    children.push(await spawnRole('backend'));
    children.push(await spawnRole('proxy'));
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
        `  bind ${HAPROXY_IP}:${PORT}`,
        '  default_backend b',
        'backend b',
        `  server s1 ${BACKEND_IP}:${PORT}`,
        '',
      ].join('\n'),
    );
    const haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: 'inherit' });
    children.push(haproxy);
    await new Promise((r) => setTimeout(r, 500));

    const warm = Math.max(2, Math.floor(seconds / 4));
    for (const ip of [BACKEND_IP, PROXY_IP, HAPROXY_IP]) wrk(`http://${ip}:${PORT}/`, warm, connections);
    const direct = wrk(`http://${BACKEND_IP}:${PORT}/`, seconds, connections);
    const ours = wrk(`http://${PROXY_IP}:${PORT}/`, seconds, connections);
    const hap = wrk(`http://${HAPROXY_IP}:${PORT}/`, seconds, connections);

    const row = (name: string, r: WrkResult) =>
      `${name.padEnd(22)} ${r.rps.toFixed(0).padStart(9)} req/s   p50 ${r.p50ms.toFixed(3)} ms   p99 ${r.p99ms.toFixed(3)} ms`;
    console.log(`wrk -t1 -c${connections} -d${seconds}s, keep-alive Node backend, 64 B bodies`);
    console.log(row('direct', direct));
    console.log(row('haproxy (tcp, 1 thread)', hap));
    console.log(row('kedge userspace proxy', ours));
    console.log(
      `ratio kedge/haproxy req/s ${(ours.rps / hap.rps).toFixed(2)} (target >= 0.8); kedge/direct ${(ours.rps / direct.rps).toFixed(2)}`,
    );
    console.log(
      `added p99 vs direct: kedge ${(ours.p99ms - direct.p99ms).toFixed(3)} ms, haproxy ${(hap.p99ms - direct.p99ms).toFixed(3)} ms (target < 1 ms)`,
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
if (role === 'backend') await runBackend();
else if (role === 'proxy') await runProxy();
else await main();
