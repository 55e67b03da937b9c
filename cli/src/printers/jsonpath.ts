/**
 * The JSONPath subset of `kubectl get -o jsonpath=...`: literal text, `{.a.b}`, `{.items[*].x}`,
 * `[0]`, `[-1]`, `['dotted.key']`, `.*`, filters `[?(@.type=="Ready")]` (==, !=, or presence),
 * `{range .items[*]}...{end}` and string literals `{"\n"}`. Missing keys print nothing (kubectl's
 * --allow-missing-template-keys default). Pure: parse once, render per object.
 */
import { usageError } from '../errors.ts';

type Step =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'all' }
  | {
      readonly kind: 'filter';
      readonly path: Step[];
      readonly op: '==' | '!=' | 'exists';
      readonly value?: unknown;
    };

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'path'; readonly steps: Step[] }
  | { readonly kind: 'range'; readonly steps: Step[]; readonly body: Node[] };

export interface JsonPathTemplate {
  readonly nodes: readonly Node[];
}

const bad = (template: string, why: string) =>
  usageError(
    `error parsing jsonpath ${template}: ${why}`,
    "Example: -o jsonpath='{.items[*].metadata.name}'",
  );

/** Parses a template such as `{range .items[*]}{.metadata.name}{"\n"}{end}`. */
export function parseJsonPath(template: string): JsonPathTemplate {
  const stack: Node[][] = [[]];
  const ranges: Step[][] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      (stack.at(-1) as Node[]).push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) (stack.at(-1) as Node[]).push({ kind: 'text', text: template.slice(i, open) });
    const close = findClose(template, open);
    if (close < 0) throw bad(template, 'unclosed action: a "{" has no "}"');
    const expr = template.slice(open + 1, close).trim();
    i = close + 1;
    if (expr === 'end') {
      const body = stack.pop();
      const steps = ranges.pop();
      if (!body || !steps || stack.length === 0) throw bad(template, 'not in range, nothing to end');
      (stack.at(-1) as Node[]).push({ kind: 'range', steps, body });
    } else if (expr.startsWith('range ')) {
      ranges.push(parsePath(expr.slice(6).trim(), template));
      stack.push([]);
    } else if (expr.startsWith('"')) {
      let text: string;
      try {
        text = JSON.parse(expr) as string;
      } catch {
        throw bad(template, `bad string literal ${expr}`);
      }
      (stack.at(-1) as Node[]).push({ kind: 'text', text });
    } else {
      (stack.at(-1) as Node[]).push({ kind: 'path', steps: parsePath(expr, template) });
    }
  }
  if (stack.length !== 1) throw bad(template, 'a range has no {end}');
  return { nodes: stack[0] as Node[] };
}

function findClose(s: string, open: number): number {
  let quote: string | undefined;
  for (let j = open + 1; j < s.length; j++) {
    const c = s[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '}') return j;
  }
  return -1;
}

function parsePath(expr: string, template: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  if (expr[0] === '$' || expr[0] === '@') i = 1;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '.') {
      i++;
      if (expr[i] === '*') {
        steps.push({ kind: 'all' });
        i++;
        continue;
      }
      const m = /^[A-Za-z0-9_\-/]+/.exec(expr.slice(i));
      if (!m) throw bad(template, `expected a field name at "${expr.slice(i - 1)}"`);
      steps.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    } else if (c === '[') {
      const end = findBracket(expr, i);
      if (end < 0) throw bad(template, `unterminated [ in "${expr}"`);
      const inner = expr.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner))
        steps.push({ kind: 'field', name: inner.slice(1, -1).replace(/\\\./g, '.') });
      else if (inner.startsWith('?(') && inner.endsWith(')'))
        steps.push(parseFilter(inner.slice(2, -1).trim(), template));
      else throw bad(template, `unsupported subscript [${inner}]`);
    } else throw bad(template, `unexpected "${c}" in "${expr}"`);
  }
  return steps;
}

function findBracket(s: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let j = open; j < s.length; j++) {
    const c = s[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return j;
  }
  return -1;
}

function parseFilter(body: string, template: string): Step {
  const m = /^(@[^=!]*?)\s*(==|!=)\s*(.+)$/.exec(body);
  if (!m) return { kind: 'filter', path: parsePath(body, template), op: 'exists' };
  const raw = (m[3] as string).trim();
  let value: unknown;
  if (/^'.*'$/.test(raw)) value = raw.slice(1, -1);
  else {
    try {
      value = JSON.parse(raw);
    } catch {
      throw bad(template, `bad filter value ${raw}`);
    }
  }
  return {
    kind: 'filter',
    path: parsePath((m[1] as string).trim(), template),
    op: m[2] as '==' | '!=',
    value,
  };
}

function walk(values: unknown[], steps: readonly Step[]): unknown[] {
  let cur = values;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (step.kind === 'field') {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && step.name in v)
          next.push((v as Record<string, unknown>)[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(v)) {
          const item = v.at(step.index);
          if (item !== undefined) next.push(item);
        }
      } else if (step.kind === 'all') {
        if (Array.isArray(v)) next.push(...v);
        else if (v !== null && typeof v === 'object') next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        for (const item of v) {
          const found = walk([item], step.path);
          const match =
            step.op === 'exists'
              ? found.length > 0
              : step.op === '=='
                ? found.some((f) => f === step.value)
                : found.every((f) => f !== step.value);
          if (match) next.push(item);
        }
      }
    }
    cur = next;
  }
  return cur;
}

const show = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);

/** Renders the template against one object (kubectl renders a list as one object with `items`). */
export function renderJsonPath(t: JsonPathTemplate, data: unknown): string {
  const render = (nodes: readonly Node[], current: unknown): string =>
    nodes
      .map((n) => {
        if (n.kind === 'text') return n.text;
        if (n.kind === 'path') return walk([current], n.steps).map(show).join(' ');
        return walk([current], n.steps)
          .map((item) => render(n.body, item))
          .join('');
      })
      .join('');
  return render(t.nodes, data);
}
