import { webcrypto } from 'node:crypto';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/**
 * Key pairs for the cluster PKI: ECDSA P-256 with SHA-256. Go's TLS (kubectl), Node and openssl
 * all accept it, and its keys and signatures are small and fast on edge CPUs.
 */
export const signingAlgorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Node's WebCrypto, handed to @peculiar/x509 explicitly (no global provider). */
export const crypto = webcrypto;

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(signingAlgorithm, true, ['sign', 'verify']);
}

/** PKCS#8 `PRIVATE KEY` PEM, the form node:tls, Go and openssl all read. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return toPem('PRIVATE KEY', der);
}

export async function privateKeyFromPem(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', fromPem('PRIVATE KEY', pem), signingAlgorithm, true, ['sign']);
}

export function toPem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function fromPem(label: string, pem: string): Buffer {
  const match = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(pem);
  if (!match?.[1])
    throw new PkiError('BadPem', `expected a PEM block "${label}"; check the file is not truncated`);
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

export type PkiErrorKind = 'BadPem' | 'NotACa' | 'Expired';

export class PkiError extends Error {
  readonly kind: PkiErrorKind;
  constructor(kind: PkiErrorKind, message: string) {
    super(message);
    this.name = 'PkiError';
    this.kind = kind;
  }
}

/** 128-bit random positive serial (RFC 5280 allows up to 20 octets; the top bit clear keeps it positive). */
export function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
