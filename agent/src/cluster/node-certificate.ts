/**
 * An agent's certificate: one key pair serves both its HTTPS endpoint and its Raft links.
 * CN=node-<id> (the Raft transport binds peers to ids by it), subjectAltName with every address
 * clients dial (kubectl checks it), and both serverAuth and clientAuth, because on a mutual-TLS
 * Raft link every agent is a server to some peers and a client to others.
 */
import { isIP } from 'node:net';
import { certificateName } from '../../../consensus/src/transport/peer-identity.ts';
import type { LoadedCa, PemBundle } from '../pki/certificate-authority.ts';
import { crypto, generateKeyPair, privateKeyToPem, randomSerial, signingAlgorithm } from '../pki/keys.ts';
import * as x509 from '../pki/x509.ts';

const day = 86_400_000;

export interface NodeCertificateOptions {
  readonly nodeId: number;
  /** Addresses clients dial (the advertised one, 127.0.0.1); names go to dnsNames. */
  readonly ipAddresses: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly validDays?: number;
}

export async function issueNodeCertificate(
  ca: LoadedCa,
  options: NodeCertificateOptions,
): Promise<PemBundle> {
  const ips = [...new Set(options.ipAddresses)];
  for (const ip of ips) if (isIP(ip) === 0) throw new TypeError(`"${ip}" is not an IP address`);
  const now = Date.now();
  const keys = await generateKeyPair();
  const names: x509.JsonGeneralName[] = [
    ...[...new Set(['localhost', ...(options.dnsNames ?? [])])].map((value) => ({
      type: 'dns' as const,
      value,
    })),
    ...ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: `CN=${certificateName(options.nodeId)}`,
      issuer: ca.cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + (options.validDays ?? 3650) * day),
      signingAlgorithm,
      publicKey: keys.publicKey,
      signingKey: ca.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
}
