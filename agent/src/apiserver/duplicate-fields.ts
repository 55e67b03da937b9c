/**
 * Duplicate keys in a JSON text, which JSON.parse silently resolves to the last one. Kubernetes'
 * strict decoding reports them as `duplicate field "spec.replicas"`; this finds their paths in one
 * pass over text JSON.parse has already accepted (so it tracks structure, not grammar).
 */

type Frame =
  | {
      readonly kind: 'object';
      readonly path: string;
      readonly keys: Set<string>;
      key: string;
      expectKey: boolean;
    }
  | { readonly kind: 'array'; readonly path: string; index: number };

const child = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/** The path of every repeated key, in document order (`spec.replicas`, `items[0].name`). */
export function duplicateFields(json: string): string[] {
  const out: string[] = [];
  const stack: Frame[] = [];
  const valuePath = (): string => {
    const top = stack.at(-1);
    if (top === undefined) return '';
    return top.kind === 'object' ? child(top.path, top.key) : `${top.path}[${top.index}]`;
  };
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      const top = stack.at(-1);
      if (top?.kind === 'object' && top.expectKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.keys.has(key)) out.push(child(top.path, key));
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === '{') {
      stack.push({ kind: 'object', path: valuePath(), keys: new Set(), key: '', expectKey: true });
    } else if (c === '[') {
      stack.push({ kind: 'array', path: valuePath(), index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.kind === 'object') top.expectKey = true;
      else if (top?.kind === 'array') top.index++;
    }
  }
  return out;
}

/** The index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}
