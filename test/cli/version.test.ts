import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const kedge = resolve(import.meta.dirname, '../../node_modules/.bin/kedge');

describe('kedge bin', () => {
  it('runs on Node 24 even when invoked without npm', async () => {
    const { stdout } = await run(kedge, ['version'], { env: { PATH: '/usr/bin:/bin' } });
    expect(stdout).toMatch(/^kedge \d+\.\d+\.\d+ \(node 24\./);
  });

  it('rejects an unknown command with exit code 2 and a hint', async () => {
    const err = (await run(kedge, ['frobnicate']).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('unknown command "frobnicate"');
  });

  it('the test runner itself runs on Node 24', () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(24);
  });
});
