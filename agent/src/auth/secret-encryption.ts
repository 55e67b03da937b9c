import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption of Secrets at rest (in the Raft log and in snapshots): AES-256-GCM envelope
 * encryption. Each secret gets a fresh data key; the data key is wrapped with the cluster key
 * (the key-encryption key). The result names the cluster key's id, so keys can rotate: new
 * writes use the primary key while old entries still decrypt with the key they name.
 *
 *   kedge:aesgcm:v1:<keyId>:<base64( wrapIv 12 | wrappedKey 32 | wrapTag 16 | iv 12 | tag 16 | ciphertext )>
 *
 * The object's identity (e.g. `secrets/default/db`) is bound in as additional authenticated data,
 * so a ciphertext copied onto another object does not decrypt.
 */

export interface ClusterKey {
  /** A short id stored beside each ciphertext: letters, digits, `-` and `_`. */
  readonly id: string;
  /** 32 random bytes. */
  readonly key: Uint8Array;
}

export type EncryptionErrorKind = 'UnknownKey' | 'Corrupt' | 'NotEncrypted' | 'BadKey';

export class EncryptionError extends Error {
  readonly kind: EncryptionErrorKind;
  constructor(kind: EncryptionErrorKind, message: string) {
    super(message);
    this.name = 'EncryptionError';
    this.kind = kind;
  }
}

const prefix = 'kedge:aesgcm:v1:';

export function generateClusterKey(id: string): ClusterKey {
  return checkKey({ id, key: randomBytes(32) });
}

function checkKey(key: ClusterKey): ClusterKey {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(key.id)) {
    throw new EncryptionError(
      'BadKey',
      `cluster key id "${key.id}" must be 1-64 letters, digits, "-" or "_"`,
    );
  }
  if (key.key.length !== 32) {
    throw new EncryptionError(
      'BadKey',
      `cluster key "${key.id}" must be 32 bytes (AES-256), got ${key.key.length}`,
    );
  }
  return key;
}

export function isEncrypted(value: string): boolean {
  return value.startsWith(prefix);
}

/** Encrypts `plaintext` for the object `objectKey` with the cluster key `kek`. */
export function encryptSecret(plaintext: Uint8Array, objectKey: string, kek: ClusterKey): string {
  checkKey(kek);
  const dataKey = randomBytes(32);
  const wrapIv = randomBytes(12);
  const wrap = createCipheriv('aes-256-gcm', kek.key, wrapIv);
  wrap.setAAD(Buffer.from(`${kek.id}\0${objectKey}`));
  const wrappedKey = Buffer.concat([wrap.update(dataKey), wrap.final()]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(objectKey));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const payload = Buffer.concat([wrapIv, wrappedKey, wrap.getAuthTag(), iv, cipher.getAuthTag(), ciphertext]);
  return `${prefix}${kek.id}:${payload.toString('base64')}`;
}

/** Decrypts what encryptSecret made, choosing the key by the id the ciphertext names. */
export function decryptSecret(
  encrypted: string,
  objectKey: string,
  keyring: readonly ClusterKey[],
): Uint8Array {
  if (!isEncrypted(encrypted)) {
    throw new EncryptionError('NotEncrypted', `the value for ${objectKey} is not a kedge-encrypted secret`);
  }
  const rest = encrypted.slice(prefix.length);
  const colon = rest.indexOf(':');
  const id = rest.slice(0, colon);
  const kek = keyring.find((k) => k.id === id);
  if (colon < 0 || kek === undefined) {
    throw new EncryptionError(
      'UnknownKey',
      `the secret ${objectKey} was encrypted with cluster key "${id}", which is not in the keyring; restore that key`,
    );
  }
  const payload = Buffer.from(rest.slice(colon + 1), 'base64');
  if (payload.length < 12 + 32 + 16 + 12 + 16) throw corrupt(objectKey);
  try {
    const wrap = createDecipheriv('aes-256-gcm', kek.key, payload.subarray(0, 12));
    wrap.setAAD(Buffer.from(`${kek.id}\0${objectKey}`));
    wrap.setAuthTag(payload.subarray(44, 60));
    const dataKey = Buffer.concat([wrap.update(payload.subarray(12, 44)), wrap.final()]);
    const decipher = createDecipheriv('aes-256-gcm', dataKey, payload.subarray(60, 72));
    decipher.setAAD(Buffer.from(objectKey));
    decipher.setAuthTag(payload.subarray(72, 88));
    return Buffer.concat([decipher.update(payload.subarray(88)), decipher.final()]);
  } catch (error) {
    throw corrupt(objectKey, error);
  }
}

function corrupt(objectKey: string, cause?: unknown): EncryptionError {
  const error = new EncryptionError(
    'Corrupt',
    `the encrypted secret ${objectKey} failed authentication: it was altered, truncated or moved from another object`,
  );
  if (cause !== undefined) error.cause = cause;
  return error;
}
