export {
  type CaOptions,
  createClusterCa,
  type LoadedCa,
  loadCa,
  type PemBundle,
} from './certificate-authority.ts';
export {
  type ClientCertificateOptions,
  issueClientCertificate,
  issueServerCertificate,
  type ServerCertificateOptions,
} from './certificates.ts';
export { readPemBundle, writePemBundle } from './files.ts';
export { PkiError, type PkiErrorKind } from './keys.ts';
