export { forbiddenError, mastersGroup, RoleAuthorizer } from './authorizer.ts';
export { certificateIdentity } from './client-certificates.ts';
export { type ResourceAttributes, type RoleBinding, type RoleName, roleAllows, roleNames } from './roles.ts';
export { type SecretLike, sealedField, sealSecret, unsealSecret } from './sealed-secret.ts';
export {
  type ClusterKey,
  decryptSecret,
  EncryptionError,
  type EncryptionErrorKind,
  encryptSecret,
  generateClusterKey,
  isEncrypted,
} from './secret-encryption.ts';
export {
  generateToken,
  hashToken,
  type Identity,
  serviceAccountIdentity,
  TokenAuthenticator,
  type TokenRecord,
} from './tokens.ts';
