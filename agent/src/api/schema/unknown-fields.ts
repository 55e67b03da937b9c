/**
 * Kubernetes' strict decoding, over a decoded body and a field schema: the paths of fields the
 * schema does not declare (`spec.replica`, `spec.template.spec.containers[0].imagePullPolcy`),
 * and the body with them dropped (what Kubernetes stores when it only warns or ignores).
 *
 * Only field names are judged here: a value of the wrong type is validation's business.
 */
import type { ObjectSchema, Schema } from './builder.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `spec` + `replicas` -> `spec.replicas`; at the root, just the name. */
const child = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/** The paths of every undeclared field, in the body's order. */
export function unknownFields<T>(schema: Schema | ObjectSchema<T>, body: unknown): string[] {
  const out: string[] = [];
  walk(schema as Schema, body, '', out);
  return out;
}

function walk(schema: Schema, value: unknown, path: string, out: string[]): void {
  switch (schema.kind) {
    case 'leaf':
    case 'any':
      return;
    case 'list':
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) walk(schema.items, item, `${path}[${i}]`, out);
      }
      return;
    case 'map':
      if (isObject(value))
        for (const [k, v] of Object.entries(value)) walk(schema.values, v, child(path, k), out);
      return;
    case 'object':
      if (!isObject(value)) return;
      for (const [k, v] of Object.entries(value)) {
        const declared = Object.hasOwn(schema.fields, k) ? schema.fields[k] : undefined;
        if (declared === undefined) out.push(child(path, k));
        else walk(declared, v, child(path, k), out);
      }
  }
}

/**
 * The body without its undeclared fields: a copy where anything changed, the same objects
 * elsewhere. The API stores this when fieldValidation is Warn or Ignore, as Kubernetes drops
 * unknown fields when it decodes into its Go types.
 */
export function dropUnknownFields<S, T>(schema: ObjectSchema<S>, body: T): T {
  return prune(schema as Schema, body) as T;
}

function prune(schema: Schema, value: unknown): unknown {
  switch (schema.kind) {
    case 'leaf':
    case 'any':
      return value;
    case 'list': {
      if (!Array.isArray(value)) return value;
      const items = value.map((item) => prune(schema.items, item));
      return items.every((item, i) => item === value[i]) ? value : items;
    }
    case 'map':
    case 'object': {
      if (!isObject(value)) return value;
      let copy: Json | undefined;
      for (const [k, v] of Object.entries(value)) {
        const declared =
          schema.kind === 'map'
            ? schema.values
            : Object.hasOwn(schema.fields, k)
              ? schema.fields[k]
              : undefined;
        const kept = declared === undefined ? undefined : prune(declared, v);
        if (declared !== undefined && kept === v) continue;
        copy ??= { ...value };
        if (declared === undefined) delete copy[k];
        else copy[k] = kept;
      }
      return copy ?? value;
    }
  }
}
