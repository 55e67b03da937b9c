import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const kedge = resolve(import.meta.dirname, '../../node_modules/.bin/kedge');
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kedge-cli-errors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fails(args: string[]): Promise<{ code: number; stderr: string }> {
  const err = (await run(kedge, args).then(
    () => ({ code: 0, stderr: '' }),
    (e: unknown) => e,
  )) as { code: number; stderr: string };
  return err;
}

describe('kedge errors that a user caused', () => {
  it('a missing snapshot file says so in one line, not as a kedge bug', async () => {
    const { code, stderr } = await fails([
      'snapshot',
      'restore',
      join(dir, 'nope.db'),
      '--data-dir',
      join(dir, 'd1'),
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: ENOENT: no such file or directory/);
    expect(stderr).not.toMatch(/bug in kedge|\n\s+at /);
  });

  it('a damaged snapshot file is refused with the reason and no stack trace', async () => {
    const file = join(dir, 'garbage.db');
    await writeFile(file, 'this is not a kedge snapshot');
    const { code, stderr } = await fails(['snapshot', 'restore', file, '--data-dir', join(dir, 'd2')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: /);
    expect(stderr).not.toMatch(/bug in kedge|\n\s+at /);
  });
});
