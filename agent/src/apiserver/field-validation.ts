/**
 * Server-side field validation (`?fieldValidation=Ignore|Warn|Strict`), as Kubernetes does it:
 * fields a kind does not declare, and keys repeated in a JSON body, are strict decoding errors.
 *
 *   body ──> unknownFields(schema, body) + duplicate keys (duplicate-fields.ts)
 *     Strict ──> 400 `<Kind> in version "v1" cannot be handled as a <Kind>: strict decoding error: ...`
 *                (a patch: 422 ` "" is invalid: patch: Invalid value: ...`), nothing written
 *     Warn   ──> written without the unknown fields; one `Warning: 299 - "unknown field \"x\""` each
 *     Ignore ──> written without the unknown fields, silently
 *
 * Warn is the default when the parameter is absent, as in Kubernetes since 1.23. kubectl 1.27+
 * sends Strict on create/apply/replace/patch unless told `--validate=warn|false`.
 */
import type { ObjectSchema } from '../api/schema/builder.ts';
import { schemaForKind } from '../api/schema/kinds.ts';
import { dropUnknownFields, unknownFields } from '../api/schema/unknown-fields.ts';
import type { RequestQuery } from './request/query.ts';
import { badRequest, makeStatus, StatusError } from './status.ts';

export type FieldValidation = NonNullable<RequestQuery['fieldValidation']>;

/** What the body is decoded as: a served resource's kind, or a subresource's (autoscaling/v1 Scale). */
export interface DecodedKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** The object to write and the warnings to send with the answer. */
export interface FieldCheck<T> {
  readonly object: T;
  readonly warnings: readonly string[];
}

/** Kubernetes' wording of each strict decoding error, unknown fields first. */
export function strictErrors(unknown: readonly string[], duplicates: readonly string[]): string[] {
  return [
    ...unknown.map((f) => `unknown field ${JSON.stringify(f)}`),
    ...duplicates.map((f) => `duplicate field ${JSON.stringify(f)}`),
  ];
}

const strictDecoding = (errors: readonly string[]): string => `strict decoding error: ${errors.join(', ')}`;

/**
 * A create or update body, already checked to be an object of `info`'s kind. `duplicates` are the
 * repeated keys found in its JSON text (none for YAML or protobuf).
 */
export function checkObjectFields<T extends object>(
  directive: FieldValidation,
  info: DecodedKind,
  object: T,
  duplicates: readonly string[],
): FieldCheck<T> {
  const schema = schemaForKind(info.group, info.kind);
  if (schema === undefined) return { object, warnings: [] };
  const errors = directive === 'Ignore' ? [] : strictErrors(unknownFields(schema, object), duplicates);
  if (directive === 'Strict' && errors.length > 0) {
    throw badRequest(
      `${info.kind} in version ${JSON.stringify(info.version)} cannot be handled as a ${info.kind}: ${strictDecoding(errors)}`,
    );
  }
  return { object: dropUnknownFields(schema, object), warnings: errors };
}

/**
 * A patched object. Unknown fields are judged on the result (as Kubernetes decodes it), except
 * those the stored object already carried; duplicates on the patch document itself.
 * On Strict the 422 quotes the patch as Kubernetes does: the patch map for a strategic merge
 * patch, the patched object's JSON otherwise.
 */
export function checkPatchedFields<T extends object>(
  directive: FieldValidation,
  info: DecodedKind,
  patched: T,
  old: object,
  patch: { readonly strategic: boolean; readonly body: unknown; readonly duplicates: readonly string[] },
): FieldCheck<T> {
  const schema: ObjectSchema | undefined = schemaForKind(info.group, info.kind);
  if (schema === undefined) return { object: patched, warnings: [] };
  if (directive === 'Ignore') return { object: dropUnknownFields(schema, patched), warnings: [] };
  const stored = new Set(unknownFields(schema, old));
  const unknown = unknownFields(schema, patched).filter((f) => !stored.has(f));
  const errors = strictErrors(unknown, patch.duplicates);
  if (directive === 'Strict' && errors.length > 0) {
    const value = patch.strategic ? goValue(patch.body) : JSON.stringify(patched);
    const detail = `Invalid value: ${JSON.stringify(value)}: ${strictDecoding(errors)}`;
    throw new StatusError(
      makeStatus('Invalid', ` "" is invalid: patch: ${detail}`, {
        causes: [{ reason: 'FieldValueInvalid', message: detail, field: 'patch' }],
      }),
    );
  }
  return { object: dropUnknownFields(schema, patched), warnings: errors };
}

/** Go's `%+v` of a decoded JSON value (`map[spec:map[replicas:3]]`), which Kubernetes quotes. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `map[${entries.map(([k, v]) => `${k}:${goValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** At most this many Warning headers per response: a body full of typos must not make headers huge. */
export const maxWarnings = 50;

/**
 * `Warning` header values: `299 - "text"`, the text quoted as Go's strconv.Quote would (kubectl
 * unquotes it) and kept to ASCII, as HTTP header values must be.
 */
export function warningHeaders(warnings: readonly string[]): string[] {
  const unique = [...new Set(warnings)];
  const shown = unique.slice(0, maxWarnings);
  if (unique.length > shown.length) shown.push(`${unique.length - shown.length} more warnings were dropped`);
  return shown.map(
    (text) =>
      `299 - ${JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`,
  );
}
