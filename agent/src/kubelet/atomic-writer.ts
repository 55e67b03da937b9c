/**
 * Writes a set of files into a volume directory so that a container never sees half an update
 * (Kubernetes' AtomicWriter): the files go into a fresh hidden directory `..<stamp>`, the `..data`
 * symlink is swapped to it with one rename, and each visible name is a symlink through `..data`.
 *
 *   dir/key -> ..data/key      dir/..data -> ..2026_11_23_15_00_00.123_ab12      dir/..2026_.../key
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface ProjectedFile {
  /** Relative path inside the volume (may contain `/`). */
  readonly path: string;
  readonly content: string | Uint8Array;
  /** File mode, e.g. 0o644. */
  readonly mode: number;
}

const DATA = '..data';

/** Replaces the volume's content with `files` in one visible step. */
export async function writeAtomically(dir: string, files: readonly ProjectedFile[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[-:T]/g, '_').replace('Z', '')}_${randomBytes(3).toString('hex')}`;
  const staging = join(dir, stamp);
  await mkdir(staging, { mode: 0o755 });
  for (const f of files) {
    const target = join(staging, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content);
    await chmod(target, f.mode);
  }
  const previous = await readlink(join(dir, DATA)).catch(ignoreMissing);
  const tmpLink = join(dir, `..data_tmp_${randomBytes(3).toString('hex')}`);
  await symlink(stamp, tmpLink);
  await rename(tmpLink, join(dir, DATA));

  const wanted = new Set(files.map((f) => f.path.split('/')[0] ?? f.path));
  for (const name of wanted) {
    const link = join(dir, name);
    const existing = await lstat(link).catch(ignoreMissing);
    if (existing?.isSymbolicLink()) continue;
    if (existing) await rm(link, { recursive: true, force: true });
    await symlink(join(DATA, name), link);
  }
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('..')) continue;
    if (!wanted.has(entry)) await rm(join(dir, entry), { recursive: true, force: true });
  }
  if (previous && previous !== stamp) await rm(join(dir, previous), { recursive: true, force: true });
}

function ignoreMissing(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw err;
}
