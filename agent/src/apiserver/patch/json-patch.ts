import { badRequest, unprocessablePatch } from '../status.ts';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue, jsonEqual } from './json.ts';
import { formatJsonPointer, parseArrayIndex, parseJsonPointer } from './json-pointer.ts';

/**
 * RFC 6902 JSON Patch (`application/json-patch+json`), as `kubectl rollout undo` sends it.
 * A malformed patch document is BadRequest (400); an operation that cannot apply to this object
 * (missing path, failed test) is Invalid (422), as in the Kubernetes API server. Atomic: the
 * operations run on a copy, so a failure part-way leaves the caller's object untouched.
 */

export type JsonPatchOperation =
  | { op: 'add'; path: string; value: JsonValue }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: JsonValue }
  | { op: 'move'; from: string; path: string }
  | { op: 'copy'; from: string; path: string }
  | { op: 'test'; path: string; value: JsonValue };

const ops = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Checks the shape of a decoded patch document; throws BadRequest naming the bad operation. */
export function decodeJsonPatch(document: unknown): JsonPatchOperation[] {
  if (!Array.isArray(document)) {
    throw badRequest(
      'a JSON patch must be a JSON array of operations, like [{"op":"add","path":"/a","value":1}]',
    );
  }
  return document.map((raw, i): JsonPatchOperation => {
    const where = `JSON patch operation ${i}`;
    if (!isJsonObject(raw)) throw badRequest(`${where} must be an object`);
    const op = raw.op;
    if (typeof op !== 'string' || !ops.has(op)) {
      throw badRequest(
        `${where} has an unknown "op" ${JSON.stringify(op)}; use add, remove, replace, move, copy or test`,
      );
    }
    if (typeof raw.path !== 'string') throw badRequest(`${where} (${op}) needs a string "path"`);
    parseJsonPointer(raw.path);
    if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(raw, 'value')) {
      throw badRequest(`${where} (${op} ${raw.path}) needs a "value"`);
    }
    if (op === 'move' || op === 'copy') {
      if (typeof raw.from !== 'string') throw badRequest(`${where} (${op}) needs a string "from"`);
      parseJsonPointer(raw.from);
    }
    return raw as unknown as JsonPatchOperation;
  });
}

const cannotApply = unprocessablePatch;

/** Applies a decoded JSON patch to a copy of `document` and returns the copy. */
export function applyJsonPatch(document: JsonValue, patch: readonly JsonPatchOperation[]): JsonValue {
  let doc = cloneJson(document);
  patch.forEach((operation, i) => {
    doc = applyOperation(doc, operation, i);
  });
  return doc;
}

function applyOperation(doc: JsonValue, operation: JsonPatchOperation, i: number): JsonValue {
  const where = `JSON patch operation ${i} (${operation.op} ${operation.path})`;
  switch (operation.op) {
    case 'add':
      return add(doc, parseJsonPointer(operation.path), cloneJson(operation.value), where);
    case 'remove':
      return remove(doc, parseJsonPointer(operation.path), where).doc;
    case 'replace': {
      const path = parseJsonPointer(operation.path);
      get(doc, path, where);
      if (path.length === 0) return cloneJson(operation.value);
      return add(remove(doc, path, where).doc, path, cloneJson(operation.value), where);
    }
    case 'move': {
      const from = parseJsonPointer(operation.from);
      const path = parseJsonPointer(operation.path);
      if (path.length > from.length && from.every((t, k) => path[k] === t)) {
        throw cannotApply(`${where}: cannot move ${operation.from} into its own child ${operation.path}`);
      }
      const removed = remove(doc, from, where);
      return add(removed.doc, path, removed.value, where);
    }
    case 'copy': {
      const value = get(doc, parseJsonPointer(operation.from), where);
      return add(doc, parseJsonPointer(operation.path), cloneJson(value), where);
    }
    case 'test': {
      const actual = get(doc, parseJsonPointer(operation.path), where);
      if (!jsonEqual(actual, operation.value)) {
        throw cannotApply(
          `${where}: test failed: the value is ${JSON.stringify(actual)}, not ${JSON.stringify(operation.value)}`,
        );
      }
      return doc;
    }
  }
}

/** The value at `path`; Invalid when any step is missing. */
function get(doc: JsonValue, path: readonly string[], where: string): JsonValue {
  let node: JsonValue = doc;
  for (let k = 0; k < path.length; k++) {
    const token = path[k]!;
    const here = formatJsonPointer(path.slice(0, k + 1));
    if (Array.isArray(node)) {
      const index = parseArrayIndex(token);
      if (index === undefined || index >= node.length)
        throw cannotApply(`${where}: no array element at ${here}`);
      node = node[index]!;
    } else if (isJsonObject(node)) {
      if (!Object.hasOwn(node, token)) throw cannotApply(`${where}: the path ${here} does not exist`);
      node = node[token]!;
    } else {
      throw cannotApply(`${where}: ${formatJsonPointer(path.slice(0, k))} is not an object or array`);
    }
  }
  return node;
}

function parentOf(doc: JsonValue, path: readonly string[], where: string): JsonObject | JsonValue[] {
  const parent = get(doc, path.slice(0, -1), where);
  if (Array.isArray(parent) || isJsonObject(parent)) return parent;
  throw cannotApply(`${where}: ${formatJsonPointer(path.slice(0, -1))} is not an object or array`);
}

function add(doc: JsonValue, path: readonly string[], value: JsonValue, where: string): JsonValue {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path, where);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : parseArrayIndex(last);
    if (index === undefined || index > parent.length) {
      throw cannotApply(`${where}: array index ${last} is out of range (length ${parent.length})`);
    }
    parent.splice(index, 0, value);
  } else {
    parent[last] = value;
  }
  return doc;
}

function remove(
  doc: JsonValue,
  path: readonly string[],
  where: string,
): { doc: JsonValue; value: JsonValue } {
  if (path.length === 0) throw cannotApply(`${where}: cannot remove the whole document`);
  const value = get(doc, path, where);
  const parent = parentOf(doc, path, where);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(parseArrayIndex(last)!, 1);
  else delete parent[last];
  return { doc, value };
}
