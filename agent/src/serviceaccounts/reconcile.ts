/**
 * The two reconciles, pure: what to write given the informers' view.
 *
 *   namespace (active, no `default` ServiceAccount)      -> create ServiceAccount `default`
 *   ServiceAccount (live) without its token Secret       -> create `<sa>-token-<suffix>` with a fresh token
 *   token Secrets of an account that is gone or was
 *   recreated with another uid                           -> delete them (their tokens stop working at once
 *                                                           anyway: the authenticator checks the uid)
 */
import type { Namespace, ServiceAccount } from '../api/types/core.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { Action, Reconciliation } from '../controllers/runtime/actions.ts';
import type { ResourceRef } from '../controllers/runtime/client.ts';
import { accountTokenOf, belongsTo, DEFAULT_SERVICE_ACCOUNT, tokenSecretFor } from './token-secret.ts';

export const SERVICEACCOUNTS: ResourceRef = { group: '', resource: 'serviceaccounts' };
export const SECRETS: ResourceRef = { group: '', resource: 'secrets' };

const deleting = (o: KubeObject | undefined) => o?.metadata.deletionTimestamp !== undefined;

export function reconcileDefaultAccount(
  namespace: Namespace | undefined,
  existing: ServiceAccount | undefined,
): Reconciliation {
  if (namespace === undefined || deleting(namespace) || namespace.status?.phase === 'Terminating')
    return { actions: [] };
  if (existing !== undefined) return { actions: [] };
  const account: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: namespace.metadata.name ?? '' },
  };
  return { actions: [{ kind: 'create', ref: SERVICEACCOUNTS, object: account }] };
}

export interface TokenInput {
  readonly namespace: string;
  readonly name: string;
  readonly account: ServiceAccount | undefined;
  /** Every Secret of the namespace (the token Secrets among them are picked out here). */
  readonly secrets: readonly KubeObject[];
  /** A fresh token and a name suffix, drawn only when a Secret is to be made. */
  readonly fresh: () => { token: string; suffix: string };
  readonly caPem: string;
}

export function reconcileTokens(input: TokenInput): Reconciliation {
  const mine = input.secrets.filter((s) => accountTokenOf(s)?.serviceAccount === input.name);
  const live = input.account !== undefined && !deleting(input.account) ? input.account : undefined;
  const actions: Action[] = [];
  for (const secret of mine) {
    if (live !== undefined && belongsTo(secret, live)) continue;
    if (deleting(secret)) continue;
    actions.push({
      kind: 'delete',
      ref: SECRETS,
      namespace: input.namespace,
      name: secret.metadata.name ?? '',
      preconditions: { uid: secret.metadata.uid ?? '' },
    });
  }
  if (live !== undefined && !mine.some((s) => belongsTo(s, live) && !deleting(s))) {
    const { token, suffix } = input.fresh();
    actions.push({ kind: 'create', ref: SECRETS, object: tokenSecretFor(live, token, suffix, input.caPem) });
  }
  return { actions };
}
