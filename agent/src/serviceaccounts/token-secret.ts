/**
 * The Secret that carries a ServiceAccount's token, as Kubernetes' legacy token controller made
 * it: type `kubernetes.io/service-account-token`, annotated with the account's name and uid, data
 * `token`, `namespace` and `ca.crt`. It is sealed at rest like every Secret, and the token is
 * valid only while the account with that uid exists (token-authenticator.ts checks both).
 */
import type { Secret, ServiceAccount } from '../api/types/core.ts';
import type { KubeObject } from '../api/types/meta.ts';

export const TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
export const DEFAULT_SERVICE_ACCOUNT = 'default';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The token Secret for `account`; `suffix` makes the name unique (`<sa>-token-<suffix>`). */
export function tokenSecretFor(
  account: ServiceAccount,
  token: string,
  suffix: string,
  caPem: string,
): Secret {
  const namespace = account.metadata.namespace ?? 'default';
  const name = account.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `${name}-token-${suffix}`,
      namespace,
      annotations: {
        [SERVICE_ACCOUNT_NAME_ANNOTATION]: name,
        [SERVICE_ACCOUNT_UID_ANNOTATION]: account.metadata.uid ?? '',
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'ServiceAccount', name, uid: account.metadata.uid ?? '' }],
    },
    type: TOKEN_SECRET_TYPE,
    data: { token: b64(token), namespace: b64(namespace), 'ca.crt': b64(caPem) },
  };
}

/** Who a token Secret speaks for, and its token; undefined for any other Secret or one with no token yet. */
export interface AccountToken {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly serviceAccountUid: string;
  readonly token: string;
}

export function accountTokenOf(object: KubeObject): AccountToken | undefined {
  const secret = object as Secret;
  if (secret.type !== TOKEN_SECRET_TYPE) return undefined;
  const annotations = secret.metadata.annotations ?? {};
  const serviceAccount = annotations[SERVICE_ACCOUNT_NAME_ANNOTATION];
  const serviceAccountUid = annotations[SERVICE_ACCOUNT_UID_ANNOTATION];
  const encoded = secret.data?.token;
  if (!serviceAccount || !serviceAccountUid || !encoded) return undefined;
  const token = Buffer.from(encoded, 'base64').toString('utf8');
  if (token === '') return undefined;
  return { namespace: secret.metadata.namespace ?? '', serviceAccount, serviceAccountUid, token };
}

/** Whether `secret` is the (current) token Secret of `account`. */
export function belongsTo(secret: KubeObject, account: ServiceAccount): boolean {
  const token = accountTokenOf(secret);
  return (
    token !== undefined &&
    token.serviceAccount === account.metadata.name &&
    token.serviceAccountUid === account.metadata.uid
  );
}
