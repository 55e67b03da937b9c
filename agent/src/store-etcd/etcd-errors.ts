/**
 * etcd's failures in the API's terms. A compacted revision is Kubernetes' 410 Expired (the client
 * lists again); an unreachable or leaderless etcd is 503 with Retry-After, as the embedded store
 * answers when Raft has no quorum; anything else is a 500 that names etcd, so an operator knows
 * where to look.
 */
import { expired, internalError, StatusError, serviceUnavailable, timeout } from '../api/errors.ts';

const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';

export const isCompacted = (error: unknown): boolean =>
  error instanceof Error && error.message.includes(COMPACTED);

/** Turns what the etcd client threw into the StatusError the API server returns. */
export function etcdToApiError(error: unknown, doing: string, expiredMessage?: string): StatusError {
  if (error instanceof StatusError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes(COMPACTED))
    return expired(expiredMessage ?? `etcd has compacted the revision needed to ${doing}; list again`);
  if (message.includes(FUTURE))
    return timeout(`Too large resource version for etcd while trying to ${doing}`, 1);
  // The client's circuit breaker (BrokenCircuitError) stops calling an etcd that just failed.
  const name = error instanceof Error ? error.constructor.name : '';
  if (
    /Unavailable|DeadlineExceeded|ClientClosed|Cancelled|WatchStreamEnded|BrokenCircuit/.test(name) ||
    /UNAVAILABLE|No connection established|deadline/i.test(message)
  )
    return serviceUnavailable(
      `the etcd datastore did not answer while trying to ${doing} (${message}); check that the --datastore endpoints are up`,
      1,
    );
  return internalError(`etcd datastore failed to ${doing}: ${message}`);
}
