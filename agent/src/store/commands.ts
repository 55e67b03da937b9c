/**
 * The commands Raft carries to the store. Plain JSON: the API server fills in every
 * non-deterministic input (uid, timestamps, generated names) before proposing, so applying the same
 * log on every replica gives the same state.
 */
import { badRequest, type StatusError } from '../api/errors.ts';
import type { KubeObject, Status } from '../api/types/meta.ts';

export interface Preconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

export interface CreateCommand {
  readonly op: 'create';
  readonly group: string;
  readonly resource: string;
  readonly object: KubeObject;
  readonly uid: string;
  /** RFC 3339, second precision, as Kubernetes writes it. */
  readonly creationTimestamp: string;
}

/** Replaces the object (its status is kept when the resource has a status subresource). */
export interface UpdateCommand {
  readonly op: 'update';
  readonly group: string;
  readonly resource: string;
  readonly object: KubeObject;
  readonly preconditions?: Preconditions;
}

/** Replaces only the status. */
export interface UpdateStatusCommand {
  readonly op: 'updateStatus';
  readonly group: string;
  readonly resource: string;
  readonly object: KubeObject;
  readonly preconditions?: Preconditions;
}

export interface DeleteCommand {
  readonly op: 'delete';
  readonly group: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly preconditions?: Preconditions;
  /** When deletion begins: written to metadata.deletionTimestamp if the object cannot go at once. */
  readonly deletionTimestamp: string;
  /** > 0 asks for graceful deletion (pods): the object stays, marked, until deleted again with 0. */
  readonly gracePeriodSeconds?: number;
}

export type ObjectCommand = CreateCommand | UpdateCommand | UpdateStatusCommand | DeleteCommand;

/** Several commands applied atomically: all succeed or none is applied. */
export interface TxnCommand {
  readonly op: 'txn';
  readonly commands: readonly ObjectCommand[];
}

export type StoreCommand = ObjectCommand | TxnCommand;

export type CommandResult =
  /** `removed` is true when the command took the object out of the store (a DELETED event). */
  | { readonly ok: true; readonly object: KubeObject; readonly removed: boolean }
  | { readonly ok: false; readonly status: Status };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeCommand(cmd: StoreCommand): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

/** Decodes a Raft entry; a malformed entry is a BadRequest value, never a throw. */
export function decodeCommand(bytes: Uint8Array): StoreCommand | StatusError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    return badRequest(`store command is not UTF-8 JSON: ${(e as Error).message}`);
  }
  const problem = checkCommand(parsed, true);
  return problem === undefined ? (parsed as StoreCommand) : badRequest(`malformed store command: ${problem}`);
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isString = (x: unknown): x is string => typeof x === 'string';

function checkCommand(x: unknown, allowTxn: boolean): string | undefined {
  if (!isObject(x)) return 'not an object';
  switch (x.op) {
    case 'txn':
      if (!allowTxn) return 'nested txn';
      if (!Array.isArray(x.commands)) return 'txn.commands is not an array';
      for (const [i, c] of x.commands.entries()) {
        const p = checkCommand(c, false);
        if (p !== undefined) return `txn.commands[${i}]: ${p}`;
      }
      return undefined;
    case 'create':
      if (!isString(x.uid) || !isString(x.creationTimestamp)) return 'create needs uid and creationTimestamp';
      return checkObjectCommand(x);
    case 'update':
    case 'updateStatus':
      return checkObjectCommand(x);
    case 'delete':
      if (!isString(x.group) || !isString(x.resource) || !isString(x.namespace) || !isString(x.name))
        return 'delete needs group, resource, namespace and name';
      if (!isString(x.deletionTimestamp)) return 'delete needs deletionTimestamp';
      if (x.gracePeriodSeconds !== undefined && typeof x.gracePeriodSeconds !== 'number')
        return 'gracePeriodSeconds is not a number';
      return checkPreconditions(x.preconditions);
    default:
      return `unknown op ${JSON.stringify(x.op)}`;
  }
}

function checkObjectCommand(x: Record<string, unknown>): string | undefined {
  if (!isString(x.group) || !isString(x.resource)) return `${String(x.op)} needs group and resource`;
  if (!isObject(x.object) || !isObject(x.object.metadata))
    return `${String(x.op)} needs an object with metadata`;
  return checkPreconditions(x.preconditions);
}

function checkPreconditions(p: unknown): string | undefined {
  if (p === undefined) return undefined;
  if (!isObject(p)) return 'preconditions is not an object';
  if (p.uid !== undefined && !isString(p.uid)) return 'preconditions.uid is not a string';
  if (p.resourceVersion !== undefined && !isString(p.resourceVersion))
    return 'preconditions.resourceVersion is not a string';
  return undefined;
}
