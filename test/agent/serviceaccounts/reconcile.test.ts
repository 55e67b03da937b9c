/** The ServiceAccount reconciles, pure: default accounts and token Secrets. */
import { describe, expect, it } from 'vitest';
import type { Namespace, ServiceAccount } from '../../../agent/src/api/types/core.ts';
import { reconcileDefaultAccount, reconcileTokens } from '../../../agent/src/serviceaccounts/reconcile.ts';
import { accountTokenOf, tokenSecretFor } from '../../../agent/src/serviceaccounts/token-secret.ts';

const ns = (name: string, extra: Partial<Namespace['metadata']> = {}): Namespace => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...extra },
});
const sa = (uid: string): ServiceAccount => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name: 'default', namespace: 'a', uid },
});
const fresh = () => ({ token: 'tok-new', suffix: 'xk2p9' });

describe('default ServiceAccount', () => {
  it('is created in an active namespace that lacks it, and only there', () => {
    expect(reconcileDefaultAccount(ns('a'), undefined).actions).toMatchObject([
      { kind: 'create', object: { kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'a' } } },
    ]);
    expect(reconcileDefaultAccount(ns('a'), sa('u1')).actions).toEqual([]);
    expect(
      reconcileDefaultAccount(ns('a', { deletionTimestamp: '2026-01-01T00:00:00Z' }), undefined).actions,
    ).toEqual([]);
    expect(reconcileDefaultAccount(undefined, undefined).actions).toEqual([]);
  });
});

describe('token Secrets', () => {
  it('an account without one gets one carrying a fresh token, its uid and the CA', () => {
    const { actions } = reconcileTokens({
      namespace: 'a',
      name: 'default',
      account: sa('u1'),
      secrets: [],
      fresh,
      caPem: 'CA',
    });
    expect(actions).toHaveLength(1);
    const made = actions[0]!;
    if (made.kind !== 'create') throw new Error('expected a create');
    expect(made.object.metadata.name).toBe('default-token-xk2p9');
    expect(accountTokenOf(made.object)).toEqual({
      namespace: 'a',
      serviceAccount: 'default',
      serviceAccountUid: 'u1',
      token: 'tok-new',
    });
  });

  it('a current one is left alone; one of a recreated account is replaced; a gone account loses its Secrets', () => {
    const current = {
      ...tokenSecretFor(sa('u1'), 't1', 'aaaaa', 'CA'),
      metadata: { ...tokenSecretFor(sa('u1'), 't1', 'aaaaa', 'CA').metadata, uid: 's1' },
    };
    expect(
      reconcileTokens({
        namespace: 'a',
        name: 'default',
        account: sa('u1'),
        secrets: [current],
        fresh,
        caPem: 'CA',
      }).actions,
    ).toEqual([]);
    const recreated = reconcileTokens({
      namespace: 'a',
      name: 'default',
      account: sa('u2'),
      secrets: [current],
      fresh,
      caPem: 'CA',
    });
    expect(recreated.actions.map((a) => a.kind)).toEqual(['delete', 'create']);
    const gone = reconcileTokens({
      namespace: 'a',
      name: 'default',
      account: undefined,
      secrets: [current],
      fresh,
      caPem: 'CA',
    });
    expect(gone.actions).toMatchObject([
      { kind: 'delete', name: 'default-token-aaaaa', preconditions: { uid: 's1' } },
    ]);
  });
});
