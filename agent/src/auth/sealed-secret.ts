/**
 * The form a Secret takes in the Raft log and in snapshots: its `data` and `stringData` replaced
 * by one ciphertext (secret-encryption.ts), bound to the Secret's namespace and name. Everything
 * else (metadata, type) stays readable, so the store can index, select and version it as usual.
 *
 *   API write ──> sealSecret(secret, primaryKey) ──> Raft log / snapshot ──> unsealSecret(keyring) ──> API read
 */
import type { KubeObject } from '../api/types/meta.ts';
import { type ClusterKey, decryptSecret, EncryptionError, encryptSecret } from './secret-encryption.ts';

/** The field that carries the ciphertext; never served (unsealSecret removes it). */
export const sealedField = 'kedgeSealedData';

export interface SecretLike extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [sealedField]?: string;
}

const objectKeyOf = (secret: KubeObject): string =>
  `secrets/${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''}`;

export function sealSecret(secret: SecretLike, kek: ClusterKey): SecretLike {
  const { data, stringData, ...rest } = secret;
  const payload = Buffer.from(JSON.stringify({ data, stringData }));
  return { ...rest, [sealedField]: encryptSecret(payload, objectKeyOf(secret), kek) };
}

/** The Secret as the API serves it. A Secret that was never sealed is returned as it is. */
export function unsealSecret(secret: SecretLike, keyring: readonly ClusterKey[]): SecretLike {
  const sealed = secret[sealedField];
  if (sealed === undefined) return secret;
  const { [sealedField]: _sealed, ...rest } = secret;
  const plain = JSON.parse(
    Buffer.from(decryptSecret(sealed, objectKeyOf(secret), keyring)).toString('utf8'),
  ) as {
    data?: Record<string, string>;
    stringData?: Record<string, string>;
  };
  if (typeof plain !== 'object' || plain === null) {
    throw new EncryptionError('Corrupt', `the sealed data of ${objectKeyOf(secret)} is not an object`);
  }
  return {
    ...rest,
    ...(plain.data !== undefined ? { data: plain.data } : {}),
    ...(plain.stringData !== undefined ? { stringData: plain.stringData } : {}),
  };
}
