import { isIP } from 'node:net';
import type { LoadedCa, PemBundle } from './certificate-authority.ts';
import { crypto, generateKeyPair, privateKeyToPem, randomSerial, signingAlgorithm } from './keys.ts';
import * as x509 from './x509.ts';

export interface ServerCertificateOptions {
  readonly commonName: string;
  /** Every name clients dial: `localhost`, the node name, `kubernetes.default.svc`, ... */
  readonly dnsNames: readonly string[];
  /** Every address clients dial: 127.0.0.x, the node's IPs. */
  readonly ipAddresses: readonly string[];
  readonly validDays?: number;
  readonly now?: Date;
}

export interface ClientCertificateOptions {
  /** The user name (Kubernetes reads the CN as the user). */
  readonly commonName: string;
  /** Groups (Kubernetes reads each O as a group). */
  readonly organizations?: readonly string[];
  readonly validDays?: number;
  readonly now?: Date;
}

const day = 86_400_000;

/**
 * A TLS server certificate signed by the cluster CA. Go rejects certificates that name their host
 * only in the CN, so every name and address goes into the subjectAltName.
 */
export async function issueServerCertificate(
  ca: LoadedCa,
  options: ServerCertificateOptions,
): Promise<PemBundle> {
  for (const ip of options.ipAddresses) {
    if (isIP(ip) === 0) throw new TypeError(`"${ip}" is not an IP address; put host names in dnsNames`);
  }
  const names: x509.JsonGeneralName[] = [
    ...options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...options.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  return issue(ca, `CN=${escapeRdn(options.commonName)}`, options, [
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names),
  ]);
}

/** A TLS client certificate (CN = user, O = groups) signed by the cluster CA. */
export async function issueClientCertificate(
  ca: LoadedCa,
  options: ClientCertificateOptions,
): Promise<PemBundle> {
  const subject = [
    `CN=${escapeRdn(options.commonName)}`,
    ...(options.organizations ?? []).map((o) => `O=${escapeRdn(o)}`),
  ].join(', ');
  return issue(ca, subject, options, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
}

async function issue(
  ca: LoadedCa,
  subject: string,
  options: { validDays?: number; now?: Date },
  extensions: x509.Extension[],
): Promise<PemBundle> {
  const now = options.now ?? new Date();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject,
      issuer: ca.cert.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + (options.validDays ?? 365) * day),
      signingAlgorithm,
      publicKey: keys.publicKey,
      signingKey: ca.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        ...extensions,
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
}

/** RFC 4514 escaping, so a user name with a comma cannot smuggle in another attribute. */
function escapeRdn(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}
