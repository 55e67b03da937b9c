import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PemBundle } from './certificate-authority.ts';

/**
 * The PKI on disk: `<dir>/<name>.crt` (0644) and `<dir>/<name>.key` (0600, never world-readable).
 */
export async function writePemBundle(dir: string, name: string, bundle: PemBundle): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, `${name}.crt`), bundle.certPem, { mode: 0o644 });
  await writeFile(join(dir, `${name}.key`), bundle.keyPem, { mode: 0o600 });
}

export async function readPemBundle(dir: string, name: string): Promise<PemBundle> {
  const [certPem, keyPem] = await Promise.all([
    readFile(join(dir, `${name}.crt`), 'utf8'),
    readFile(join(dir, `${name}.key`), 'utf8'),
  ]);
  return { certPem, keyPem };
}
