/**
 * Reads the manifests named by -f: files, directories (recursively; .yaml, .yml and .json files in
 * name order) and `-` for stdin.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, usageError } from '../errors.ts';
import { type ManifestObject, parseManifest } from './parse.ts';

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

export async function readManifests(
  paths: readonly string[],
  stdin: NodeJS.ReadableStream | undefined,
): Promise<ManifestObject[]> {
  if (paths.length === 0)
    throw usageError('must specify one of -f and -k', 'Example: kedge apply -f app.yaml');
  const out: ManifestObject[] = [];
  for (const p of paths) {
    if (p === '-') {
      if (!stdin) throw usageError('-f - reads stdin, but there is no stdin');
      out.push(...parseManifest(await readStream(stdin), 'STDIN'));
      continue;
    }
    for (const file of expand(p)) out.push(...parseManifest(read(file), file));
  }
  return out;
}

function expand(path: string): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new CliError('Manifest', `the path "${path}" does not exist`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const full = join(path, e.name);
      if (e.isDirectory()) return expand(full);
      return MANIFEST_FILE.test(e.name) ? [full] : [];
    });
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError('Manifest', `cannot read ${file}: ${(e as Error).message}`);
  }
}

async function readStream(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
