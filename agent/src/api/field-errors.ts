/**
 * Field errors as Kubernetes' validation reports them (k8s.io/apimachinery/pkg/util/validation/field):
 * one per bad field, all collected before answering, rendered as `path: Body`.
 */
import type { CauseType, StatusCause } from './types/meta.ts';

export interface FieldError {
  readonly type: CauseType;
  /** Dotted path with indexes and keys: `spec.containers[0].image`, `metadata.labels[app]`. */
  readonly field: string;
  readonly value?: unknown;
  readonly detail: string;
}

export type FieldErrors = FieldError[];

/** A path builder so that validators never concatenate strings by hand. */
export class FieldPath {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
  child(...names: string[]): FieldPath {
    let p = this.path;
    for (const n of names) p = p === '' ? n : `${p}.${n}`;
    return new FieldPath(p);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.path}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.path}[${k}]`);
  }
  toString(): string {
    return this.path;
  }
}

export const root = (name: string): FieldPath => new FieldPath(name);

export const required = (f: FieldPath, detail = ''): FieldError => ({
  type: 'FieldValueRequired',
  field: f.path,
  detail,
});
export const invalid = (f: FieldPath, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field: f.path,
  value,
  detail,
});
export const notSupported = (f: FieldPath, value: unknown, supported: readonly string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field: f.path,
  value,
  detail:
    supported.length > 0 ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : '',
});
export const duplicate = (f: FieldPath, value: unknown): FieldError => ({
  type: 'FieldValueDuplicate',
  field: f.path,
  value,
  detail: '',
});
export const forbidden = (f: FieldPath, detail: string): FieldError => ({
  type: 'FieldValueForbidden',
  field: f.path,
  detail,
});
export const notFoundValue = (f: FieldPath, value: unknown): FieldError => ({
  type: 'FieldValueNotFound',
  field: f.path,
  value,
  detail: '',
});
export const tooLong = (f: FieldPath, value: unknown, max: number): FieldError => ({
  type: 'FieldValueTooLong',
  field: f.path,
  value,
  detail: `may not be more than ${max} bytes`,
});

/** How Kubernetes prints a bad value inside a message: strings quoted, numbers bare, the rest as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** The part after `field: `, e.g. `Invalid value: -1: must be greater than or equal to 0`. */
export function errorBody(e: FieldError): string {
  const suffix = e.detail === '' ? '' : `: ${e.detail}`;
  switch (e.type) {
    case 'FieldValueRequired':
      return `Required value${suffix}`;
    case 'FieldValueInvalid':
      return `Invalid value: ${formatValue(e.value)}${suffix}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${formatValue(e.value)}${suffix}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${formatValue(e.value)}${suffix}`;
    case 'FieldValueForbidden':
      return `Forbidden${suffix}`;
    case 'FieldValueNotFound':
      return `Not found: ${formatValue(e.value)}${suffix}`;
    case 'FieldValueTooLong':
      return `Too long${suffix}`;
    case 'FieldValueTypeInvalid':
      return `Invalid value: ${formatValue(e.value)}${suffix}`;
  }
}

export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${errorBody(e)}`;
}

export function toStatusCause(e: FieldError): StatusCause {
  return { reason: e.type, message: errorBody(e), field: e.field };
}
