/**
 * Field selectors (`metadata.name=web,status.phase!=Running`): each term is `field=value`, `field==value`
 * or `field!=value`; `\,`, `\=` and `\\` escape the special characters in values, as in Kubernetes.
 * Which fields a resource supports is declared in the registry (`fieldSelectors`).
 */
import { badRequest, type StatusError } from './errors.ts';

export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

export const ALL_FIELDS: FieldSelector = { requirements: [] };

/** Splits on unescaped `sep`, keeping escapes in place for the next stage. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      cur += c + (text[i + 1] ?? '');
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function unescapeValue(v: string): string | undefined {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') {
      const n = v[i + 1];
      if (n !== '\\' && n !== ',' && n !== '=') return undefined;
      out += n;
      i++;
    } else if (c === ',' || c === '=') return undefined;
    else out += c;
  }
  return out;
}

/**
 * Parses a field selector. `supported` lists the fields this resource answers to (metadata.name and
 * metadata.namespace are always supported); anything else is a BadRequest, as Kubernetes answers.
 */
export function parseFieldSelector(text: string, supported?: readonly string[]): FieldSelector | StatusError {
  const requirements: FieldRequirement[] = [];
  if (text.trim() === '') return ALL_FIELDS;
  for (const term of splitUnescaped(text, ',')) {
    const m = /^([^=!]*?)\s*(==|!=|=)\s*(.*)$/s.exec(term);
    if (m === null) return badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = (m[1] ?? '').trim();
    const op = m[2] === '!=' ? '!=' : '=';
    const value = unescapeValue(m[3] ?? '');
    if (field === '' || value === undefined)
      return badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    if (
      supported !== undefined &&
      field !== 'metadata.name' &&
      field !== 'metadata.namespace' &&
      !supported.includes(field)
    )
      return badRequest(`field label not supported: ${field}`);
    requirements.push({ field, operator: op, value });
  }
  return { requirements };
}

/** The value of a dotted field path as a selector string: missing -> "", booleans and numbers printed. */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return '';
}

export function matchesFields(selector: FieldSelector, obj: unknown): boolean {
  for (const r of selector.requirements) {
    const v = fieldValue(obj, r.field);
    if (r.operator === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** The value an equality requirement pins for `field`, if any; used to index watchers and lists. */
export function exactField(selector: FieldSelector, field: string): string | undefined {
  for (const r of selector.requirements) if (r.field === field && r.operator === '=') return r.value;
  return undefined;
}

export function formatFieldSelector(s: FieldSelector): string {
  const esc = (v: string) => v.replace(/[\\,=]/g, (c) => `\\${c}`);
  return s.requirements.map((r) => `${r.field}${r.operator}${esc(r.value)}`).join(',');
}
