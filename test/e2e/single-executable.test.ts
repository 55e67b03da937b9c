/**
 * The single executable (packaging/build-sea.ts), built into a temporary directory and run from
 * there with an empty environment (no node_modules near it, no node on PATH): `version`, `init`,
 * and a one-agent local cluster whose agent process is the same file (libp2p gossip, the kubelet's
 * systeminformation and execa calls all run from the bundle), which registers its Node as Ready.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down } from '../../agent/src/cluster/local-cluster.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
let work: string;
let kedge: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'kedge-sea-'));
  await run(
    path.join(root, 'node_modules/.bin/node'),
    [path.join(root, 'packaging/build-sea.ts'), '--out', path.join(work, 'build')],
    {
      timeout: 120_000,
    },
  );
  // Installed by copying one file, away from the source tree.
  kedge = path.join(work, 'kedge');
  await copyFile(path.join(work, 'build', 'kedge'), kedge);
}, 150_000);

afterAll(async () => {
  if (!work) return;
  await down({ dir: path.join(work, 'local'), purge: true });
  await rm(work, { recursive: true, force: true });
});

const env = () => ({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: work });

describe('dist/kedge, the single executable', () => {
  it('prints its version without Node or node_modules around', async () => {
    const { stdout } = await run(kedge, ['version', '--client'], { env: env(), cwd: work });
    expect(stdout).toMatch(/^kedge \d+\.\d+\.\d+ \(node 24\./);
  });

  it('initialises a cluster directory', async () => {
    const dir = path.join(work, 'init');
    const { stderr, stdout } = await run(
      kedge,
      ['init', '--data-dir', dir, '--kubeconfig', path.join(work, 'kubeconfig')],
      {
        env: env(),
        cwd: work,
      },
    );
    expect(`${stdout}${stderr}`).toContain('join a worker:');
    const identity = JSON.parse(await readFile(path.join(dir, 'node.json'), 'utf8'));
    expect(identity.nodeId).toBe(1);
    expect(await readFile(path.join(dir, 'pki', 'ca.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('runs an agent from the same file: a one-agent cluster serves the API and its node becomes Ready', async () => {
    const dir = path.join(work, 'local');
    const basePort = 27_000 + Math.floor(Math.random() * 40) * 20;
    await run(kedge, ['up', '--agents', '1', '--dir', dir, '--base-port', String(basePort), '--no-sample'], {
      env: env(),
      cwd: work,
      timeout: 90_000,
    });
    const kubeconfig = path.join(dir, 'kubeconfig');
    let ready = '';
    for (let i = 0; i < 100 && ready !== 'True'; i++) {
      const { stdout } = await run(
        kedge,
        [
          'get',
          'node',
          'agent-1',
          '--kubeconfig',
          kubeconfig,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ],
        { env: env(), cwd: work },
      ).catch(() => ({ stdout: '' }));
      ready = stdout.trim();
      if (ready !== 'True') await new Promise((r) => setTimeout(r, 300));
    }
    const log = await readFile(path.join(dir, 'agent-1', 'agent.log'), 'utf8');
    expect(log).not.toMatch(/Cannot find module|is not a function|ERR_REQUIRE|Dynamic require/);
    expect(ready).toBe('True');
    const status = await run(kedge, ['cluster', 'status', '--dir', dir], { env: env(), cwd: work });
    expect(status.stdout).toMatch(/agent-1\s+leader/);
    // The dashboard's page and its vendored chart library are embedded in the single file.
    const ca = await readFile(path.join(dir, 'agent-1', 'pki', 'ca.crt'));
    for (const asset of ['index.html', 'vendor/uPlot.esm.js']) {
      const code = await new Promise<number | undefined>((resolve, reject) =>
        https
          .get(`https://127.0.0.1:${basePort + 1}/dashboard/${asset}`, { ca }, (res) => {
            res.resume();
            resolve(res.statusCode);
          })
          .on('error', reject),
      );
      expect(code, `GET /dashboard/${asset}`).toBe(200);
    }
  }, 120_000);
});
