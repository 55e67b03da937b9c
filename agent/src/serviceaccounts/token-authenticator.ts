/**
 * ServiceAccount bearer tokens, checked on every voter from its own replica (no consensus round:
 * a request is authenticated even while the cluster elects a leader, as the registry's users are).
 *
 *   local store: watch Secrets (ADDED for the current ones, then live; again after a snapshot restore)
 *      token Secret ──unseal──> sha256(token) -> { namespace, account, uid }
 *   Authorization: Bearer t ──> sha256(t) known? ──> the ServiceAccount with that uid still exists
 *      (deleting the account or its Secret revokes the token at once) ──> serviceAccountIdentity(ns, sa)
 *
 * Only hashes are kept in memory here; the plaintext token lives in the sealed Secret.
 */
import { StatusError } from '../api/errors.ts';
import type { KubeObject } from '../api/types/meta.ts';
import { hashToken, type Identity, serviceAccountIdentity } from '../auth/tokens.ts';
import type { ObjectStore } from '../store/object-store.ts';
import type { WatchEvent, WatchHandle } from '../store/watch-hub.ts';
import { SECRETS, SERVICEACCOUNTS } from './reconcile.ts';
import { type AccountToken, accountTokenOf } from './token-secret.ts';

export interface TokenSource {
  /** The replica's store (replaced by a snapshot restore). */
  readonly store: ObjectStore;
  onRestore(listener: () => void): () => void;
}

export interface ServiceAccountTokenAuthenticatorOptions {
  readonly source: TokenSource;
  /** Opens a sealed Secret (auth/sealed-secret.ts with the cluster keyring). */
  readonly unseal: (secret: KubeObject) => KubeObject;
  /** Secrets that cannot be opened are skipped and reported here (never with their data). */
  readonly onError?: (message: string) => void;
}

export class ServiceAccountTokenAuthenticator {
  readonly #options: ServiceAccountTokenAuthenticatorOptions;
  /** sha256 -> who; secret path -> its sha256 (to forget it on change or delete). */
  readonly #byHash = new Map<string, AccountToken>();
  readonly #hashOfSecret = new Map<string, string>();
  #watch: WatchHandle | undefined;
  readonly #stopRestore: () => void;

  constructor(options: ServiceAccountTokenAuthenticatorOptions) {
    this.#options = options;
    this.#subscribe();
    this.#stopRestore = options.source.onRestore(() => this.#subscribe());
  }

  /** The ServiceAccount identity of an `Authorization` header, or undefined. */
  authenticate(authorization: string | undefined): Identity | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return undefined;
    const known = this.#byHash.get(hashToken(match[1]));
    if (known === undefined) return undefined;
    const account = this.#options.source.store.get(SERVICEACCOUNTS, known.namespace, known.serviceAccount);
    if (account instanceof StatusError) return undefined;
    if (account.metadata.uid !== known.serviceAccountUid || account.metadata.deletionTimestamp !== undefined)
      return undefined;
    return serviceAccountIdentity(known.namespace, known.serviceAccount);
  }

  /** Number of tokens known (tests, status). */
  get size(): number {
    return this.#byHash.size;
  }

  stop(): void {
    this.#stopRestore();
    this.#watch?.stop();
  }

  #subscribe(): void {
    this.#watch?.stop();
    this.#byHash.clear();
    this.#hashOfSecret.clear();
    const handle = this.#options.source.store.watch({ ...SECRETS }, (event) => this.#observe(event));
    if (handle instanceof StatusError) {
      this.#options.onError?.(`cannot watch Secrets for service account tokens: ${handle.message}`);
      return;
    }
    this.#watch = handle;
  }

  #observe(event: WatchEvent): void {
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') return;
    const object = event.object as KubeObject;
    const path = `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
    const previous = this.#hashOfSecret.get(path);
    if (previous !== undefined) {
      this.#byHash.delete(previous);
      this.#hashOfSecret.delete(path);
    }
    if (
      event.type === 'DELETED' ||
      (object as { type?: string }).type !== 'kubernetes.io/service-account-token'
    )
      return;
    let token: AccountToken | undefined;
    try {
      token = accountTokenOf(this.#options.unseal(object));
    } catch (error) {
      this.#options.onError?.(
        `service account token Secret ${path} cannot be read: ${(error as Error).message}`,
      );
      return;
    }
    if (token === undefined || token.namespace !== object.metadata.namespace) return;
    const hash = hashToken(token.token);
    this.#byHash.set(hash, token);
    this.#hashOfSecret.set(path, hash);
  }
}
