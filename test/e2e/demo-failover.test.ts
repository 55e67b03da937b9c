/**
 * `kedge demo failover --non-interactive` on a real local cluster it starts itself (3 agent
 * processes on 127.0.0.1-3, the sample Service): 3 leader kills in CI, 20 with KEDGE_SOAK=1.
 * The demo's exit code is the verdict: new leader p99 < 1 s, first accepted write p99 < 1.5 s, no
 * acknowledged write lost, no failed service request.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { down } from '../../agent/src/cluster/local-cluster.ts';
import { KEDGE } from '../cli/cluster-fixture.ts';

const soak = process.env.KEDGE_SOAK === '1';
const rounds = soak ? 20 : 3;
let work: string | undefined;

afterAll(async () => {
  if (work === undefined) return;
  // The demo stops its cluster itself; this covers a demo that was killed on a timeout.
  await down({ dir: path.join(work, 'cluster'), purge: true });
  await rm(work, { recursive: true, force: true });
});

describe('kedge demo failover', () => {
  it(
    `survives ${rounds} leader kills in a row within the targets`,
    async () => {
      work = await mkdtemp(path.join(tmpdir(), 'kedge-demo-e2e-'));
      // Random ports keep this apart from other suites and from a developer's own cluster.
      const basePort = 24_000 + Math.floor(Math.random() * 40) * 200;
      const nodePort = 30_000 + Math.floor(Math.random() * 2700);
      const args = ['demo', 'failover', '--non-interactive', '--rounds', String(rounds), '--agents', '3'];
      args.push(
        '--dir',
        path.join(work, 'cluster'),
        '--base-port',
        String(basePort),
        '--node-port',
        String(nodePort),
      );
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(KEDGE, args, {
          env: { ...process.env, HOME: work },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        const timer = setTimeout(() => child.kill('SIGINT'), (soak ? 900 : 200) * 1000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
      const summary = result.stdout.slice(result.stdout.indexOf('failover summary'));
      console.log(summary);
      if (result.code !== 0)
        console.log(`stderr:\n${result.stderr.slice(-3000)}\nstdout:\n${result.stdout.slice(-3000)}`);
      expect(summary).toContain(`failover summary (${rounds} round(s))`);
      expect(summary).toMatch(/ok {6}acknowledged writes lost: 0 of [1-9]/);
      // CI has podman and the local image (scripts/setup.sh): the sample Service must be checked.
      expect(summary).toMatch(/ok {6}service requests failed: 0 of [1-9]/);
      expect(result.code).toBe(0);
      expect(summary).toContain('PASSED');
    },
    (soak ? 960 : 240) * 1000,
  );
});
