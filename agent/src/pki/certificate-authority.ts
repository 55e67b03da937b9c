import {
  type CryptoKey,
  crypto,
  generateKeyPair,
  PkiError,
  privateKeyFromPem,
  privateKeyToPem,
  randomSerial,
  signingAlgorithm,
} from './keys.ts';
import * as x509 from './x509.ts';

/** A certificate and its private key, both PEM. */
export interface PemBundle {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CaOptions {
  readonly commonName?: string;
  readonly validDays?: number;
  readonly now?: Date;
}

const day = 86_400_000;

/** Creates the cluster CA at `kedge init`: a self-signed P-256 CA certificate, valid 10 years by default. */
export async function createClusterCa(options: CaOptions = {}): Promise<PemBundle> {
  const now = options.now ?? new Date();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: `CN=${options.commonName ?? 'kedge-ca'}`,
      // Backdated a minute so that a peer whose clock is slightly behind still accepts it.
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + (options.validDays ?? 3650) * day),
      signingAlgorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
}

/** A loaded CA, ready to sign. */
export interface LoadedCa {
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
}

export async function loadCa(bundle: PemBundle): Promise<LoadedCa> {
  const cert = new x509.X509Certificate(bundle.certPem);
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) {
    throw new PkiError(
      'NotACa',
      `the certificate "${cert.subject}" is not a CA; pass the cluster CA (ca.crt)`,
    );
  }
  return { cert, privateKey: await privateKeyFromPem(bundle.keyPem) };
}
