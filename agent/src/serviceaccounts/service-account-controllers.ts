/**
 * The ServiceAccount controllers as one leader component (it runs whether or not the agent runs
 * workloads: every namespace has its `default` account in any case).
 *
 *   Namespace added / its `default` account deleted ──> default-service-account: create it
 *   ServiceAccount changed / a token Secret changed  ──> service-account-token: create the token
 *                                                       Secret, delete stale ones
 *   writes go through BackendClusterClient (admission, uids) over the agent's backend, which seals
 *   the token Secret before it is proposed (cluster/secret-sealing-backend.ts)
 */
import { randomInt } from 'node:crypto';
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { nameSuffix } from '../api/generated-names.ts';
import type { Namespace, ServiceAccount } from '../api/types/core.ts';
import type { ObjectBackend } from '../apiserver/backend.ts';
import { generateToken } from '../auth/tokens.ts';
import type { LeaderComponent } from '../cluster/leader-components.ts';
import { BackendClusterClient } from '../control/backend-cluster-client.ts';
import { NAMESPACES } from '../controllers/runtime/client.ts';
import { systemClock } from '../controllers/runtime/clock.ts';
import { type ControllerDefinition, ControllerManager } from '../controllers/runtime/controller.ts';
import { splitKey } from '../controllers/runtime/objects.ts';
import { reconcileDefaultAccount, reconcileTokens, SECRETS, SERVICEACCOUNTS } from './reconcile.ts';
import { accountTokenOf, DEFAULT_SERVICE_ACCOUNT } from './token-secret.ts';

export function defaultServiceAccountController(): ControllerDefinition {
  return {
    name: 'default-service-account',
    primary: NAMESPACES,
    watches: [
      {
        ref: SERVICEACCOUNTS,
        keys: (o) => (o.metadata.name === DEFAULT_SERVICE_ACCOUNT ? [`/${o.metadata.namespace ?? ''}`] : []),
      },
    ],
    reconcile(key, view) {
      const { name } = splitKey(key);
      const namespace = view.get(NAMESPACES, '', name) as Namespace | undefined;
      const existing = view.get(SERVICEACCOUNTS, name, DEFAULT_SERVICE_ACCOUNT) as ServiceAccount | undefined;
      return reconcileDefaultAccount(namespace, existing);
    },
  };
}

export interface TokenControllerOptions {
  /** The cluster CA, handed to pods as ca.crt. */
  readonly caPem: string;
  /** Token and suffix source (tests); default: 32 random bytes and a random suffix. */
  readonly fresh?: () => { token: string; suffix: string };
}

export function serviceAccountTokenController(options: TokenControllerOptions): ControllerDefinition {
  const fresh = options.fresh ?? (() => ({ token: generateToken(), suffix: nameSuffix(randomInt) }));
  return {
    name: 'service-account-token',
    primary: SERVICEACCOUNTS,
    watches: [
      {
        ref: SECRETS,
        keys: (o) => {
          const account = accountTokenOf(o)?.serviceAccount;
          return account !== undefined ? [`${o.metadata.namespace ?? ''}/${account}`] : [];
        },
      },
    ],
    reconcile(key, view) {
      const { namespace, name } = splitKey(key);
      return reconcileTokens({
        namespace,
        name,
        account: view.get(SERVICEACCOUNTS, namespace, name) as ServiceAccount | undefined,
        secrets: view.list(SECRETS, namespace),
        fresh,
        caPem: options.caPem,
      });
    },
  };
}

interface ServiceAccountContext {
  readonly backend: ObjectBackend;
  readonly identity: { readonly name: string };
  readonly logger: Logger;
}

/** The leader component running both controllers for one term. */
export function serviceAccountComponent(
  options: TokenControllerOptions,
): LeaderComponent<ServiceAccountContext> {
  return {
    name: 'service-accounts',
    async run({ backend, identity, logger }, signal) {
      const client = new BackendClusterClient(backend, { now: () => systemClock.now() });
      const manager = new ControllerManager({
        client,
        clock: systemClock,
        host: identity.name,
        onError: (controller, key, error) =>
          logger.warn('service accounts: retrying', { controller, key, error: error.message }),
      });
      await manager.start(
        [defaultServiceAccountController(), serviceAccountTokenController(options)],
        signal,
      );
      if (signal.aborted) return;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
}
