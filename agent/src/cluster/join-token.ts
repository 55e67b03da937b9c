/**
 * Join tokens: `kedge1.<ca-sha256>.<id>.<secret>`. The CA hash lets the joiner trust the cluster
 * it dials before it has the CA (as kubeadm's --discovery-token-ca-cert-hash does): it fetches the
 * CA, hashes it, and refuses a mismatch. The id is public (lists, revocation); only the SHA-256
 * of the secret is stored, in the replicated registry, so a copy of the log grants nothing.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import type { JoinTokenKind, JoinTokenRecord } from './cluster-registry.ts';

export interface ParsedJoinToken {
  readonly caHash: string;
  readonly id: string;
  readonly secret: string;
}

export class JoinTokenError extends Error {
  readonly kind = 'Invalid';
  constructor(message: string) {
    super(message);
    this.name = 'JoinTokenError';
  }
}

/** SHA-256 (hex) of the CA certificate's DER bytes. */
export function caFingerprint(caPem: string): string {
  return createHash('sha256').update(new X509Certificate(caPem).raw).digest('hex');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A fresh token and the record the registry keeps of it. */
export function createJoinToken(
  caPem: string,
  kind: JoinTokenKind,
  expiresAt: Date,
): { token: string; record: JoinTokenRecord } {
  const id = randomBytes(4).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  return {
    token: `kedge1.${caFingerprint(caPem)}.${id}.${secret}`,
    record: { id, kind, sha256: hashSecret(secret), expiresAt: expiresAt.toISOString(), revoked: false },
  };
}

export function parseJoinToken(token: string): ParsedJoinToken {
  const match = /^kedge1\.([0-9a-f]{64})\.([0-9a-f]{8})\.([A-Za-z0-9_-]{16,})$/.exec(token.trim());
  if (!match) {
    throw new JoinTokenError(
      'the join token is malformed: it looks like kedge1.<64 hex>.<8 hex>.<secret>; copy it again from `kedge init`',
    );
  }
  return { caHash: match[1]!, id: match[2]!, secret: match[3]! };
}
