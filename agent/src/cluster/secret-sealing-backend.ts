/**
 * Secrets encrypted at rest: the voter's ObjectBackend with every Secret sealed (auth/
 * sealed-secret.ts, AES-256-GCM under the cluster key) before its command is proposed, so the
 * Raft log, the WAL files and the snapshots carry only ciphertext, and unsealed on the way out.
 *
 *   create/update Secret ──sealSecret(primary key)──> inner (Raft proposal) ──> sealed result ──unseal──> caller
 *   get/list/delete ──> inner ──> sealed objects ──unsealSecret(keyring)──> caller
 *   watch ──> inner ──> sealed events ──unseal each──> sink   (a Secret that will not decrypt ends
 *                                                              the stream with an ERROR event)
 *
 * Everything that is not a core/v1 Secret passes through untouched. The store stays opaque: it
 * indexes, selects and versions a Secret by its readable metadata.
 *
 * Every seal draws a fresh data key and IV, so sealing the same data twice gives different bytes
 * and the store would see a change. An update whose data equals what is stored therefore reuses
 * the stored ciphertext (read from the local replica through `peek`), keeping Kubernetes' rule that
 * a no-op update takes no new resourceVersion (kubectl apply of an unchanged Secret, controllers).
 */
import { internalError, StatusError } from '../api/errors.ts';
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import type { ObjectBackend, WatchEvent, WatchOptions, WatchStream } from '../apiserver/backend.ts';
import { type SecretLike, sealedField, sealSecret, unsealSecret } from '../auth/sealed-secret.ts';
import { type ClusterKey, EncryptionError } from '../auth/secret-encryption.ts';
import type { CreateCommand, DeleteCommand, UpdateCommand, UpdateStatusCommand } from '../store/commands.ts';
import type { ObjectKey, ResourceRef } from '../store/keys.ts';
import type { ListOptions } from '../store/list.ts';

const isSecrets = (r: { group: string; resource: string }) => r.group === '' && r.resource === 'secrets';

export interface SecretSealingOptions {
  /** New writes are sealed with the first key; reads pick the key each ciphertext names (rotation). */
  readonly keyring: readonly ClusterKey[];
  /** The stored (sealed) object on this replica, without a read barrier; only used to avoid re-sealing unchanged data. */
  readonly peek?: (key: ObjectKey) => KubeObject | undefined;
}

export class SecretSealingBackend implements ObjectBackend {
  readonly #inner: ObjectBackend;
  readonly #keyring: readonly ClusterKey[];
  readonly #primary: ClusterKey;
  readonly #peek: ((key: ObjectKey) => KubeObject | undefined) | undefined;

  constructor(inner: ObjectBackend, options: SecretSealingOptions) {
    const [primary] = options.keyring;
    if (primary === undefined) throw new EncryptionError('BadKey', 'Secrets need a cluster key to be sealed');
    this.#inner = inner;
    this.#keyring = options.keyring;
    this.#primary = primary;
    this.#peek = options.peek;
  }

  async get(key: ObjectKey): Promise<KubeObject> {
    const object = await this.#inner.get(key);
    return isSecrets(key) ? this.#unseal(object) : object;
  }

  async list(ref: ResourceRef, options: ListOptions): Promise<KubeList> {
    const list = await this.#inner.list(ref, options);
    if (!isSecrets(ref)) return list;
    return { ...list, items: list.items.map((item) => this.#unseal(item)) };
  }

  async create(command: CreateCommand): Promise<KubeObject> {
    if (!isSecrets(command)) return this.#inner.create(command);
    const object = sealSecret(command.object as SecretLike, this.#primary);
    return this.#unseal(await this.#inner.create({ ...command, object }));
  }

  async update(command: UpdateCommand | UpdateStatusCommand): Promise<KubeObject> {
    if (!isSecrets(command)) return this.#inner.update(command);
    const object = this.#sealForUpdate(command.object as SecretLike, command);
    return this.#unseal(await this.#inner.update({ ...command, object }));
  }

  async delete(command: DeleteCommand): Promise<{ object: KubeObject; removed: boolean }> {
    const result = await this.#inner.delete(command);
    return isSecrets(command) ? { ...result, object: this.#unseal(result.object) } : result;
  }

  async watch(
    ref: ResourceRef,
    options: WatchOptions,
    sink: (event: WatchEvent) => void,
  ): Promise<WatchStream> {
    if (!isSecrets(ref)) return this.#inner.watch(ref, options, sink);
    let stream: WatchStream | undefined;
    let failed = false;
    stream = await this.#inner.watch(ref, options, (event) => {
      if (failed) return;
      if (event.type === 'ERROR' || event.type === 'BOOKMARK') {
        sink(event);
        return;
      }
      let object: KubeObject;
      try {
        object = this.#unseal(event.object as KubeObject);
      } catch (error) {
        // The client must not get a sealed or a partial Secret: end the stream with the reason.
        failed = true;
        const status =
          error instanceof StatusError ? error.status : internalError((error as Error).message).status;
        sink({ type: 'ERROR', object: status, revision: event.revision });
        // The replay may still be running inside inner.watch: stop once the stream exists.
        queueMicrotask(() => stream?.stop());
        return;
      }
      sink({ ...event, object });
    });
    if (failed) stream.stop();
    return stream;
  }

  /** Seals `secret`, reusing the stored ciphertext when its data is what is stored already. */
  #sealForUpdate(secret: SecretLike, ref: ResourceRef): SecretLike {
    const namespace = secret.metadata.namespace ?? '';
    const name = secret.metadata.name ?? '';
    const stored = this.#peek?.({ ...ref, namespace, name }) as SecretLike | undefined;
    const storedCiphertext = stored?.[sealedField];
    if (stored !== undefined && storedCiphertext !== undefined) {
      const current = this.#tryUnseal(stored);
      if (current !== undefined && sameData(current, secret)) {
        const { data: _data, stringData: _stringData, ...rest } = secret;
        return { ...rest, [sealedField]: storedCiphertext };
      }
    }
    return sealSecret(secret, this.#primary);
  }

  #tryUnseal(secret: SecretLike): SecretLike | undefined {
    try {
      return unsealSecret(secret, this.#keyring);
    } catch (error) {
      if (error instanceof EncryptionError) return undefined;
      throw error;
    }
  }

  /** The Secret as the API serves it; a ciphertext that does not open is a 500 that names the fix. */
  #unseal(object: KubeObject): KubeObject {
    try {
      return unsealSecret(object as SecretLike, this.#keyring);
    } catch (error) {
      if (!(error instanceof EncryptionError)) throw error;
      const who = `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
      // The message names the object and the key problem, never the data.
      throw internalError(`cannot decrypt Secret ${who} (${error.kind}): ${error.message}`);
    }
  }
}

function sameData(a: SecretLike, b: SecretLike): boolean {
  return sameMap(a.data, b.data) && sameMap(a.stringData, b.stringData);
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  // Absent and empty are the same data (the sealed form keeps neither apart from the other).
  const left = a ?? {};
  const right = b ?? {};
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((k) => Object.hasOwn(right, k) && left[k] === right[k])
  );
}

/**
 * The keyring in cluster-key.json: the primary key as `kedge init` writes it (`{ id, key: base64 }`),
 * optionally with `previous: [{ id, key }]` — keys that only decrypt, e.g. the old cluster's key
 * after a snapshot restore into a new cluster, or the key before a rotation.
 */
export function parseClusterKeyring(json: unknown): ClusterKey[] {
  const record = json as { previous?: unknown } | null;
  const previous = Array.isArray(record?.previous) ? (record.previous as unknown[]) : [];
  return [parseClusterKey(json), ...previous.map(parseClusterKey)];
}

function parseClusterKey(json: unknown): ClusterKey {
  const record = json as { id?: unknown; key?: unknown } | null;
  if (typeof record?.id !== 'string' || typeof record.key !== 'string') {
    throw new EncryptionError(
      'BadKey',
      'cluster-key.json must hold {"id": string, "key": base64}; copy it from another voter or restore it from a backup',
    );
  }
  return { id: record.id, key: Buffer.from(record.key, 'base64') };
}
