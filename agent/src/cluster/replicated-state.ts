/**
 * The state every voter replicates: the object store and the cluster registry, as one consensus
 * StateMachine. A log entry starts with a tag byte that says which of the two it is for:
 *
 *   [0x01][store command JSON]     -> ObjectStore.applyEntry    -> { kind: 'store', result }
 *   [0x02][registry command JSON]  -> applyRegistryCommand      -> { kind: 'registry', result }
 *
 * A snapshot is [u32 registry JSON length][registry JSON][store snapshot bytes]. Restoring swaps
 * in a new ObjectStore, so whoever reads `store` must read it again after a restore (the
 * replicated backend does, and ends the watches of the old one through `onRestore`).
 */

import type { Entry, StateMachine } from '../../../consensus/src/types.ts';
import { badRequest } from '../api/errors.ts';
import { type CommandResult, encodeCommand, type StoreCommand } from '../store/commands.ts';
import { ObjectStore, type ObjectStoreOptions } from '../store/object-store.ts';
import { restoreStore, snapshotStore } from '../store/snapshot.ts';
import {
  applyRegistryCommand,
  EMPTY_REGISTRY,
  isRegistryCommand,
  type RegistryCommand,
  type RegistryResult,
  type RegistryState,
} from './cluster-registry.ts';

const TAG_STORE = 0x01;
const TAG_REGISTRY = 0x02;

export type AppliedResult =
  | { readonly kind: 'store'; readonly result: CommandResult }
  | { readonly kind: 'registry'; readonly result: RegistryResult };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function tagged(tag: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = tag;
  out.set(body, 1);
  return out;
}

/** The entry for a store command. */
export function storeEntry(command: StoreCommand): Uint8Array {
  return tagged(TAG_STORE, encodeCommand(command));
}

/** The entry for a registry command. */
export function registryEntry(command: RegistryCommand): Uint8Array {
  return tagged(TAG_REGISTRY, encoder.encode(JSON.stringify(command)));
}

export class ReplicatedState implements StateMachine<AppliedResult> {
  #store: ObjectStore;
  #registry: RegistryState = EMPTY_REGISTRY;
  readonly #options: ObjectStoreOptions;
  readonly #restoreListeners = new Set<() => void>();
  readonly #registryListeners = new Set<(state: RegistryState) => void>();

  constructor(options: ObjectStoreOptions = {}) {
    this.#options = options;
    this.#store = new ObjectStore(options);
  }

  /** The current store (replaced by a snapshot restore: read it again each time). */
  get store(): ObjectStore {
    return this.#store;
  }

  get registry(): RegistryState {
    return this.#registry;
  }

  /** Called after a snapshot replaced the store (watches on the old one will see nothing more). */
  onRestore(listener: () => void): () => void {
    this.#restoreListeners.add(listener);
    return () => this.#restoreListeners.delete(listener);
  }

  /** Called whenever the registry changes (tokens, members). */
  onRegistryChange(listener: (state: RegistryState) => void): () => void {
    this.#registryListeners.add(listener);
    return () => this.#registryListeners.delete(listener);
  }

  apply(entries: readonly Entry[]): AppliedResult[] {
    return entries.map((entry) => this.#applyOne(entry.data));
  }

  #applyOne(data: Uint8Array): AppliedResult {
    const tag = data[0];
    const body = data.subarray(1);
    if (tag === TAG_STORE) {
      const outcome = this.#store.applyEntry(body);
      const result = outcome.results[0];
      // A txn answers with its first result here; kedge proposes no txns through the backend yet.
      if (result === undefined) {
        return { kind: 'store', result: { ok: false, status: badRequest('empty store command').status } };
      }
      return { kind: 'store', result };
    }
    if (tag === TAG_REGISTRY) {
      let command: unknown;
      try {
        command = JSON.parse(decoder.decode(body));
      } catch (error) {
        return malformed(`registry command is not UTF-8 JSON: ${(error as Error).message}`);
      }
      if (!isRegistryCommand(command)) return malformed('unknown registry command');
      const { state, result } = applyRegistryCommand(this.#registry, command);
      if (state !== this.#registry) {
        this.#registry = state;
        for (const listener of this.#registryListeners) listener(state);
      }
      return { kind: 'registry', result };
    }
    return malformed(`unknown entry tag ${String(tag)}`);
  }

  snapshot(): Uint8Array {
    const registry = encoder.encode(JSON.stringify(this.#registry));
    const store = snapshotStore(this.#store);
    const out = new Uint8Array(4 + registry.length + store.length);
    new DataView(out.buffer).setUint32(0, registry.length);
    out.set(registry, 4);
    out.set(store, 4 + registry.length);
    return out;
  }

  restore(data: Uint8Array): void {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.length < 4) throw new Error('replicated state snapshot is shorter than its header');
    const registryLength = view.getUint32(0);
    const registry = JSON.parse(decoder.decode(data.subarray(4, 4 + registryLength))) as RegistryState;
    const store = restoreStore(data.subarray(4 + registryLength), this.#options);
    // A snapshot that does not decode leaves this replica unable to serve: stop the node loudly.
    if (!(store instanceof ObjectStore)) throw new Error(`cannot restore the store: ${store.message}`);
    this.#store = store;
    this.#registry = registry;
    for (const listener of this.#registryListeners) listener(registry);
    for (const listener of this.#restoreListeners) listener();
  }
}

function malformed(message: string): AppliedResult {
  return { kind: 'registry', result: { ok: false, kind: 'Invalid', message } };
}
