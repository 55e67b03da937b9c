import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens. A token is 32 random bytes (base64url, 43 characters); the cluster stores only
 * its SHA-256, so a copy of the store or a snapshot does not hand out credentials. Lookup compares
 * against every stored hash in constant time, so response timing says nothing about which prefix
 * matched.
 */

/** Who a request is. Kubernetes' user.Info: a name plus groups. */
export interface Identity {
  readonly name: string;
  readonly groups: readonly string[];
  /** For ServiceAccount tokens: the account's namespace (the name is system:serviceaccount:<ns>:<sa>). */
  readonly serviceAccountNamespace?: string;
}

/** A stored credential: the token's hash and the identity it authenticates. */
export interface TokenRecord {
  readonly sha256: string;
  readonly identity: Identity;
}

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function serviceAccountIdentity(namespace: string, name: string): Identity {
  return {
    name: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    serviceAccountNamespace: namespace,
  };
}

/** The identities known to this cluster, by token hash. */
export class TokenAuthenticator {
  #records: TokenRecord[] = [];

  constructor(records: readonly TokenRecord[] = []) {
    for (const record of records) this.add(record);
  }

  /** Registers a token's hash; returns the record to persist. */
  add(record: TokenRecord): TokenRecord {
    if (!/^[0-9a-f]{64}$/.test(record.sha256)) throw new TypeError('a token record needs a hex SHA-256 hash');
    this.#records = this.#records.filter((r) => r.sha256 !== record.sha256);
    this.#records.push(record);
    return record;
  }

  /** Issues a fresh token for `identity`; the caller shows the token once and stores only the record. */
  issue(identity: Identity): { token: string; record: TokenRecord } {
    const token = generateToken();
    return { token, record: this.add({ sha256: hashToken(token), identity }) };
  }

  revoke(sha256: string): void {
    this.#records = this.#records.filter((r) => r.sha256 !== sha256);
  }

  /** The identity of an `Authorization` header value, or undefined for a missing or unknown token. */
  authenticate(authorization: string | undefined): Identity | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return undefined;
    const presented = Buffer.from(hashToken(match[1]), 'hex');
    let found: Identity | undefined;
    for (const record of this.#records) {
      // No early exit: every record is compared, whatever matched.
      if (timingSafeEqual(presented, Buffer.from(record.sha256, 'hex'))) found = record.identity;
    }
    return found;
  }
}
