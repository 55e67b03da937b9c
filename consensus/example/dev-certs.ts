// Development certificates for mutual TLS between nodes: one CA and one certificate per node with
// CN=node-<id>, made with the openssl CLI in a directory the caller owns (tests, benchmarks).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface NodeCredentials {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
  readonly keyFile: string;
  readonly certFile: string;
  readonly caFile: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a CA named `caName` in dir (ca-<caName>.key/.pem). EC P-256 keeps handshakes cheap. */
export function makeCa(dir: string, caName = 'cluster'): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `ca-${caName}.key`]);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    `ca-${caName}.key`,
    '-sha256',
    '-days',
    '2',
    '-subj',
    `/CN=kedge-${caName}-ca`,
    '-out',
    `ca-${caName}.pem`,
  ]);
}

/** Makes a certificate for `cn` signed by the CA `caName`; returns PEMs and file paths. */
export function makeNodeCert(dir: string, cn: string, caName = 'cluster'): NodeCredentials {
  const base = `${cn}-${caName}`;
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${base}.key`]);
  openssl(dir, ['req', '-new', '-key', `${base}.key`, '-subj', `/CN=${cn}`, '-out', `${base}.csr`]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    `ca-${caName}.pem`,
    '-CAkey',
    `ca-${caName}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-out',
    `${base}.pem`,
  ]);
  const keyFile = path.join(dir, `${base}.key`);
  const certFile = path.join(dir, `${base}.pem`);
  const caFile = path.join(dir, `ca-${caName}.pem`);
  return {
    key: readFileSync(keyFile, 'utf8'),
    cert: readFileSync(certFile, 'utf8'),
    ca: readFileSync(caFile, 'utf8'),
    keyFile,
    certFile,
    caFile,
  };
}
