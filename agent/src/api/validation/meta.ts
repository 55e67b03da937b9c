/** Validation shared by every kind: object metadata, labels, selectors, quantities, ports. */
import {
  duplicate,
  type FieldError,
  type FieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
} from '../field-errors.ts';
import { tryParseQuantity } from '../quantity.ts';
import type { LabelSelector, ObjectMeta } from '../types/meta.ts';
import { dns1123Subdomain, labelValue, qualifiedName } from './names.ts';

/** Kubernetes' limit on the total size of all annotations of an object. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export type NameValidator = (name: string) => string[];

export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
  nameRule: NameValidator,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (meta === undefined || typeof meta !== 'object') return [required(path)];
  const name = meta.name ?? '';
  if (name === '' && (meta.generateName ?? '') === '')
    errs.push(required(path.child('name'), 'name or generateName is required'));
  else if (name !== '') for (const m of nameRule(name)) errs.push(invalid(path.child('name'), name, m));
  if (namespaced) {
    if ((meta.namespace ?? '') === '') errs.push(required(path.child('namespace')));
    else
      for (const m of dns1123LabelOf(meta.namespace ?? ''))
        errs.push(invalid(path.child('namespace'), meta.namespace, m));
  } else if ((meta.namespace ?? '') !== '') {
    errs.push(forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  for (const [i, ref] of (meta.ownerReferences ?? []).entries()) {
    const p = path.child('ownerReferences').index(i);
    if (!ref.apiVersion)
      errs.push(invalid(p.child('apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(p.child('kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(invalid(p.child('name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(invalid(p.child('uid'), ref.uid ?? '', 'uid must not be empty'));
  }
  if ((meta.ownerReferences ?? []).filter((r) => r.controller === true).length > 1)
    errs.push(
      invalid(
        path.child('ownerReferences'),
        meta.ownerReferences,
        'Only one reference can have Controller set to true',
      ),
    );
  const seen = new Set<string>();
  for (const [i, f] of (meta.finalizers ?? []).entries()) {
    for (const m of qualifiedName(f)) errs.push(invalid(path.child('finalizers').index(i), f, m));
    if (seen.has(f)) errs.push(duplicate(path.child('finalizers').index(i), f));
    seen.add(f);
  }
  return errs;
}

const dns1123LabelOf = (v: string): string[] =>
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && v.length <= 63
    ? []
    : [
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ];

export function validateLabels(labels: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of qualifiedName(k)) errs.push(invalid(path, k, m));
    if (typeof v !== 'string') errs.push(invalid(path.key(k), v, 'must be a string'));
    else for (const m of labelValue(v)) errs.push(invalid(path.key(k), v, m));
  }
  return errs;
}

export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of qualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export function validateLabelSelector(s: LabelSelector | undefined, path: FieldPath): FieldError[] {
  if (s === undefined || s === null) return [];
  const errs = validateLabels(s.matchLabels, path.child('matchLabels'));
  for (const [i, e] of (s.matchExpressions ?? []).entries()) {
    const p = path.child('matchExpressions').index(i);
    for (const m of qualifiedName(e.key ?? '')) errs.push(invalid(p.child('key'), e.key, m));
    const n = e.values?.length ?? 0;
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (n === 0)
        errs.push(required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (n > 0)
        errs.push(
          forbidden(p.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        );
    } else {
      errs.push(invalid(p.child('operator'), e.operator, 'not a valid selector operator'));
    }
    for (const [j, v] of (e.values ?? []).entries())
      for (const m of labelValue(v)) errs.push(invalid(p.child('values').index(j), v, m));
  }
  return errs;
}

export function validateQuantity(value: unknown, path: FieldPath, nonNegative = true): FieldError[] {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return [invalid(path, value, 'must be a quantity')];
  const q = tryParseQuantity(text);
  if (q === undefined)
    return [
      invalid(
        path,
        text,
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ),
    ];
  if (nonNegative && q.negative) return [invalid(path, text, 'must be greater than or equal to 0')];
  return [];
}

export function validatePortNumber(port: unknown, path: FieldPath): FieldError[] {
  if (port === undefined || port === null) return [required(path)];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    return [invalid(path, port, 'must be between 1 and 65535, inclusive')];
  return [];
}

export function validateNonNegative(v: unknown, path: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'number' || !Number.isInteger(v)) return [invalid(path, v, 'must be an integer')];
  return v < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];
}

export function validatePositive(v: unknown, path: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'number' || !Number.isInteger(v)) return [invalid(path, v, 'must be an integer')];
  return v <= 0 ? [invalid(path, v, 'must be greater than 0')] : [];
}

export function validateEnum(
  v: unknown,
  allowed: readonly string[],
  path: FieldPath,
  isRequired = false,
): FieldError[] {
  if (v === undefined || v === null || v === '')
    return isRequired ? [notSupported(path, v ?? '', allowed)] : [];
  return typeof v === 'string' && allowed.includes(v) ? [] : [notSupported(path, v, allowed)];
}

export const subdomainName: NameValidator = dns1123Subdomain;
