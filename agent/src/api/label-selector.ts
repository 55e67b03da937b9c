/**
 * Label selectors: the query string form (`a=b,c!=d,e in (x,y),!f,g`) and the LabelSelector object form
 * (matchLabels/matchExpressions), compiled to one requirement list with Kubernetes' matching rules
 * (`!=` and `notin` also match objects without the key).
 */
import { badRequest, type StatusError } from './errors.ts';
import type { LabelSelector } from './types/meta.ts';
import { labelValue, qualifiedName } from './validation/names.ts';

export type SelectorOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

export interface Selector {
  readonly requirements: readonly Requirement[];
  /** A nil LabelSelector object selects nothing, unlike an empty one, which selects everything. */
  readonly nothing: boolean;
}

export const EVERYTHING: Selector = { requirements: [], nothing: false };
export const NOTHING: Selector = { requirements: [], nothing: true };

export function matchesLabels(
  selector: Selector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (selector.nothing) return false;
  for (const r of selector.requirements) if (!matchRequirement(r, labels)) return false;
  return true;
}

function matchRequirement(r: Requirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case '==':
    case 'in':
      return value !== undefined && r.values.includes(value);
    case '!=':
    case 'notin':
      return value === undefined || !r.values.includes(value);
    case 'gt':
    case 'lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      const v = Number(value);
      const bound = Number(r.values[0]);
      return r.operator === 'gt' ? v > bound : v < bound;
    }
  }
}

export const isEverything = (s: Selector): boolean => !s.nothing && s.requirements.length === 0;

/** If every requirement is a plain equality, the key→value map it pins; used to index watchers. */
export function exactLabels(s: Selector): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const r of s.requirements) {
    if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1)
      out[r.key] = r.values[0] ?? '';
    else return undefined;
  }
  return out;
}

type Token =
  | { kind: 'id'; text: string }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '=' && text[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '==' });
      i += 2;
    } else if (c === '!' && text[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '!=' });
      i += 2;
    } else if (c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<') {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s=!(),<>]/.test(text[j] ?? '')) j++;
      tokens.push({ kind: 'id', text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/** Parses the query-string form; a syntax error is a BadRequest StatusError value. */
export function parseLabelSelector(text: string): Selector | StatusError {
  const tokens = tokenize(text);
  const requirements: Requirement[] = [];
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const fail = (why: string) => badRequest(`unable to parse requirement: ${why} in label selector "${text}"`);
  while (pos < tokens.length) {
    let t = peek();
    let negated = false;
    if (t?.kind === 'op' && t.text === '!') {
      negated = true;
      pos++;
      t = peek();
    }
    if (t?.kind !== 'id') return fail(`found '${t?.text ?? 'end of string'}', expected: identifier`);
    const key = t.text;
    const keyErrors = qualifiedName(key);
    if (keyErrors.length > 0)
      return badRequest(`unable to parse requirement: invalid label key "${key}": ${keyErrors.join('; ')}`);
    pos++;
    const next = peek();
    if (negated || next === undefined || (next.kind === 'op' && next.text === ',')) {
      requirements.push({ key, operator: negated ? '!' : 'exists', values: [] });
    } else if (next.kind === 'id' && (next.text === 'in' || next.text === 'notin')) {
      pos++;
      if (peek()?.text !== '(') return fail(`found '${peek()?.text ?? 'end of string'}', expected: '('`);
      pos++;
      const values: string[] = [];
      for (;;) {
        const v = peek();
        if (v === undefined) return fail("found 'end of string', expected: ')'");
        if (v.kind === 'op' && v.text === ')') {
          pos++;
          break;
        }
        if (v.kind === 'op' && v.text === ',') {
          // An empty entry (`in (a,,b)` or `in (,a)`) is the empty string value.
          if (values.length === 0 || tokens[pos - 1]?.text === ',') values.push('');
          pos++;
          if (peek()?.text === ')') values.push('');
          continue;
        }
        if (v.kind !== 'id') return fail(`found '${v.text}', expected: value`);
        values.push(v.text);
        pos++;
      }
      if (values.length === 0) return fail("for 'in', 'notin' operators, values set can't be empty");
      for (const v of values) {
        const e = labelValue(v);
        if (e.length > 0)
          return badRequest(`unable to parse requirement: invalid label value: "${v}": ${e.join('; ')}`);
      }
      requirements.push({ key, operator: next.text, values: [...new Set(values)].sort() });
    } else if (next.kind === 'op' && ['=', '==', '!=', '>', '<'].includes(next.text)) {
      pos++;
      const v = peek();
      let value = '';
      if (v?.kind === 'id') {
        value = v.text;
        pos++;
      } else if (v !== undefined && !(v.kind === 'op' && v.text === ',')) {
        return fail(`found '${v.text}', expected: identifier`);
      }
      const op = next.text === '>' ? 'gt' : next.text === '<' ? 'lt' : (next.text as '=' | '==' | '!=');
      if ((op === 'gt' || op === 'lt') && !/^-?\d+$/.test(value))
        return fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
      const e = labelValue(value);
      if (e.length > 0)
        return badRequest(`unable to parse requirement: invalid label value: "${value}": ${e.join('; ')}`);
      requirements.push({ key, operator: op, values: [value] });
    } else {
      return fail(`found '${next.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const sep = peek();
    if (sep !== undefined) {
      if (!(sep.kind === 'op' && sep.text === ',')) return fail(`found '${sep.text}', expected: ','`);
      pos++;
      if (pos >= tokens.length) return fail("found 'end of string', expected: identifier");
    }
  }
  return { requirements: sortRequirements(requirements), nothing: false };
}

function sortRequirements(rs: Requirement[]): Requirement[] {
  return rs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Compiles a LabelSelector object (as in a Deployment's spec.selector). Undefined selects nothing;
 * `{}` selects everything. Assumes the object passed validation (see validateLabelSelector).
 */
export function selectorFromLabelSelector(ls: LabelSelector | undefined | null): Selector {
  if (ls === undefined || ls === null) return NOTHING;
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(ls.matchLabels ?? {}))
    requirements.push({ key, operator: '=', values: [value] });
  for (const e of ls.matchExpressions ?? []) {
    const values = [...new Set(e.values ?? [])].sort();
    const operator: SelectorOperator =
      e.operator === 'In'
        ? 'in'
        : e.operator === 'NotIn'
          ? 'notin'
          : e.operator === 'Exists'
            ? 'exists'
            : '!';
    requirements.push({ key: e.key, operator, values });
  }
  return { requirements: sortRequirements(requirements), nothing: false };
}

/** The query-string form, as Kubernetes prints it (Scale's status.selector, kubectl's ?labelSelector=). */
export function formatSelector(s: Selector): string {
  if (s.nothing) return '';
  return s.requirements
    .map((r) => {
      switch (r.operator) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.operator} (${r.values.join(',')})`;
        case 'gt':
          return `${r.key}>${r.values[0] ?? ''}`;
        case 'lt':
          return `${r.key}<${r.values[0] ?? ''}`;
        default:
          return `${r.key}${r.operator}${r.values[0] ?? ''}`;
      }
    })
    .join(',');
}

/** Does a LabelSelector object match these labels? (nil selects nothing, `{}` everything.) */
export function labelSelectorMatches(
  ls: LabelSelector | undefined | null,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return matchesLabels(selectorFromLabelSelector(ls), labels);
}
