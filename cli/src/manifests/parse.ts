/**
 * Manifests as kubectl reads them: multi-document YAML (or JSON), `List` kinds flattened, empty
 * documents skipped. Errors name the file and the line. Pure.
 */
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api.ts';
import { CliError } from '../errors.ts';

export interface ManifestObject {
  readonly object: KubeObject;
  /** The file it came from (`-` for stdin), for messages like `error when creating "app.yaml"`. */
  readonly source: string;
}

const manifestError = (message: string) => new CliError('Manifest', message);

/** Parses one file's text into objects. */
export function parseManifest(text: string, source: string): ManifestObject[] {
  const docs = parseAllDocuments(text, { merge: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: ManifestObject[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line ?? (err.pos ? lineAt(text, err.pos[0]) : undefined);
      const where = line !== undefined ? `line ${line}: ` : '';
      throw manifestError(`error parsing ${source}: ${where}${err.message.split('\n')[0]}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const docLine = doc.contents?.range ? lineAt(text, doc.contents.range[0]) : undefined;
    out.push(...flatten(value, source, docLine));
  }
  return out;
}

function flatten(value: unknown, source: string, line: number | undefined): ManifestObject[] {
  const where = line !== undefined ? ` (document at line ${line})` : '';
  if (typeof value !== 'object' || Array.isArray(value) || value === null)
    throw manifestError(
      `error validating "${source}"${where}: a manifest must be a mapping with apiVersion, kind and metadata`,
    );
  const o = value as Record<string, unknown>;
  if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items))
    return o.items.flatMap((item) => flatten(item, source, line));
  const missing = [
    ...(typeof o.apiVersion === 'string' && o.apiVersion !== '' ? [] : ['apiVersion not set']),
    ...(typeof o.kind === 'string' && o.kind !== '' ? [] : ['kind not set']),
  ];
  if (missing.length > 0)
    throw manifestError(
      `error validating "${source}"${where}: error validating data: [${missing.join(', ')}]`,
    );
  const metadata = typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : {};
  return [{ object: { ...o, metadata } as KubeObject, source }];
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
