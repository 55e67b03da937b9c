import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClusterCa,
  issueClientCertificate,
  issueServerCertificate,
  type LoadedCa,
  loadCa,
  type PemBundle,
  readPemBundle,
  writePemBundle,
} from '../../../agent/src/pki/index.ts';

let caBundle: PemBundle;
let ca: LoadedCa;
let serverBundle: PemBundle;

beforeAll(async () => {
  caBundle = await createClusterCa({ commonName: 'kedge-test-ca' });
  ca = await loadCa(caBundle);
  serverBundle = await issueServerCertificate(ca, {
    commonName: 'kedge-apiserver',
    dnsNames: ['localhost', 'kubernetes.default.svc'],
    ipAddresses: ['127.0.0.1', '127.0.0.2'],
  });
});

function fetchOver(port: number, host: string, caPem: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(
      { host, port, path: '/', ca: caPem, servername: host === 'localhost' ? host : undefined },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
  });
}

describe('cluster PKI', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ cert: serverBundle.certPem, key: serverBundle.keyPem }, (_req, res) =>
      res.end('hello'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a client trusting the cluster CA reaches the server by IP and by name', async () => {
    expect(await fetchOver(port, '127.0.0.1', caBundle.certPem)).toBe('hello');
    expect(await fetchOver(port, 'localhost', caBundle.certPem)).toBe('hello');
  });

  it('a client that does not trust the CA is rejected', async () => {
    await expect(fetchOver(port, '127.0.0.1', undefined)).rejects.toThrow(
      /self-signed|unable to verify|local issuer/,
    );
    const otherCa = await createClusterCa({ commonName: 'other' });
    await expect(fetchOver(port, '127.0.0.1', otherCa.certPem)).rejects.toThrow(
      /unable to verify|local issuer/,
    );
  });

  it('puts every name and address in the subjectAltName and chains to the CA', () => {
    const cert = new X509Certificate(serverBundle.certPem);
    expect(cert.subjectAltName).toBe(
      'DNS:localhost, DNS:kubernetes.default.svc, IP Address:127.0.0.1, IP Address:127.0.0.2',
    );
    expect(cert.checkIP('127.0.0.2')).toBe('127.0.0.2');
    expect(cert.checkIP('127.0.0.3')).toBeUndefined();
    expect(cert.checkIssued(new X509Certificate(caBundle.certPem))).toBe(true);
    expect(cert.verify(new X509Certificate(caBundle.certPem).publicKey)).toBe(true);
    expect(new X509Certificate(caBundle.certPem).ca).toBe(true);
    expect(cert.ca).toBe(false);
  });

  it('openssl reads the certificates and verifies the chain', async () => {
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], {
      input: serverBundle.certPem,
    }).toString();
    expect(text).toContain('ecdsa-with-SHA256');
    expect(text).toContain(
      'DNS:localhost, DNS:kubernetes.default.svc, IP Address:127.0.0.1, IP Address:127.0.0.2',
    );
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).toMatch(/Issuer: CN\s*=\s*kedge-test-ca/);
    const dir = await mkdtemp(join(tmpdir(), 'kedge-pki-'));
    try {
      const caFile = join(dir, 'ca.crt');
      await writeFile(caFile, caBundle.certPem);
      const verify = execFileSync('openssl', ['verify', '-CAfile', caFile], {
        input: serverBundle.certPem,
      }).toString();
      expect(verify).toMatch(/OK/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('client certificates carry the user as CN and groups as O', async () => {
    const client = await issueClientCertificate(ca, {
      commonName: 'alice',
      organizations: ['system:masters'],
    });
    const cert = new X509Certificate(client.certPem);
    expect(cert.subject).toContain('CN=alice');
    expect(cert.subject).toContain('O=system:masters');
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
  });

  it('refuses to sign with a certificate that is not a CA', async () => {
    await expect(loadCa(serverBundle)).rejects.toMatchObject({ kind: 'NotACa' });
  });

  it('writes keys readable only by the owner and reads them back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kedge-pki-'));
    try {
      await writePemBundle(dir, 'ca', caBundle);
      expect((await stat(join(dir, 'ca.key'))).mode & 0o777).toBe(0o600);
      expect(await readPemBundle(dir, 'ca')).toEqual(caBundle);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
