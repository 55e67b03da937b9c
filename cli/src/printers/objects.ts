/**
 * `-o yaml|json|name|jsonpath=...` for objects: one object as itself, several as a `List` (as
 * kubectl prints them), items with kind and apiVersion filled in. Pure.
 */
import { stringify } from 'yaml';
import { apiVersionOf, type KubeObject, type ResourceInfo } from '../api.ts';
import { usageError } from '../errors.ts';
import { type JsonPathTemplate, parseJsonPath, renderJsonPath } from './jsonpath.ts';

export type OutputFormat =
  | { readonly kind: 'table'; readonly wide: boolean }
  | { readonly kind: 'yaml' }
  | { readonly kind: 'json' }
  | { readonly kind: 'name' }
  | { readonly kind: 'jsonpath'; readonly template: JsonPathTemplate };

/** Parses `-o`; undefined means the default table. */
export function parseOutputFormat(o: string | undefined): OutputFormat {
  if (o === undefined || o === '') return { kind: 'table', wide: false };
  if (o === 'wide') return { kind: 'table', wide: true };
  if (o === 'yaml' || o === 'json' || o === 'name') return { kind: o };
  const m = /^jsonpath=(.*)$/s.exec(o);
  if (m) return { kind: 'jsonpath', template: parseJsonPath(unquote(m[1] as string)) };
  throw usageError(
    `unable to match a printer suitable for the output format "${o}"`,
    'Allowed formats are: json, jsonpath=TEMPLATE, name, wide, yaml.',
  );
}

const unquote = (s: string) => (/^'.*'$|^".*"$/s.test(s) ? s.slice(1, -1) : s);

/** An object as printed: kind and apiVersion set (list items come without them). */
export function withTypeMeta(info: ResourceInfo, o: KubeObject): KubeObject {
  return { apiVersion: apiVersionOf(info), kind: info.kind, ...o };
}

/** What -o yaml/json/jsonpath render: the object alone, or a List of them. */
export function outputDocument(objects: readonly KubeObject[], single: boolean): unknown {
  if (single && objects.length === 1) return objects[0];
  return { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
}

/** Renders objects in a non-table format. `single`: the user named exactly one object. */
export function formatObjects(
  objects: readonly { info: ResourceInfo; object: KubeObject }[],
  format: Exclude<OutputFormat, { kind: 'table' }>,
  single: boolean,
): string {
  if (format.kind === 'name')
    return objects.map(({ info, object }) => `${nameOf(info)}/${object.metadata.name}\n`).join('');
  const doc = outputDocument(
    objects.map(({ info, object }) => withTypeMeta(info, object)),
    single,
  );
  if (format.kind === 'json') return `${JSON.stringify(doc, null, 4)}\n`;
  if (format.kind === 'yaml') return toYaml(doc);
  return renderJsonPath(format.template, doc);
}

/** kubectl's YAML: keys sorted, two-space indent, lists not indented under their key. */
export function toYaml(doc: unknown): string {
  return stringify(sortKeys(doc), { indent: 2, indentSeq: false, lineWidth: 0 });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

const nameOf = (info: ResourceInfo) => (info.group === '' ? info.singular : `${info.singular}.${info.group}`);
