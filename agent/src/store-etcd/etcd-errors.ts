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
  const tls = tlsProblem(message);
  if (tls !== undefined) return serviceUnavailable(`cannot ${doing}: ${tls}`, 1);
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

// OpenSSL's and Node's words for a server certificate this client does not trust.
const UNTRUSTED_SERVER =
  /unable to verify the first certificate|self[- ]signed certificate|unable to get (local )?issuer certificate|certificate has expired|certificate is not yet valid|does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/i;
// The TLS alerts etcd sends when --client-cert-auth rejects (or misses) the client certificate.
const REJECTED_CLIENT =
  /alert bad certificate|alert certificate required|alert unknown ca|SSL alert number (42|48|116)/i;

/** A TLS misconfiguration named in terms of the --datastore-* flags that fix it; undefined if none. */
export function tlsProblem(message: string): string | undefined {
  const alert = /alert ([a-z ]+)/i.exec(message)?.[1];
  const reason =
    alert === undefined
      ? (/Last error: (?:Error: )?([^;\n]*)/.exec(message)?.[1] ?? message).trim()
      : `TLS alert: ${alert.trim()}`;
  if (UNTRUSTED_SERVER.test(message))
    return `etcd's TLS certificate is not trusted (${reason}): --datastore-ca must be the CA that signed etcd's server certificate, and that certificate must name the host in --datastore`;
  if (REJECTED_CLIENT.test(message))
    return `etcd refused this agent's TLS client certificate (${reason}): etcd runs with --client-cert-auth, so give --datastore-cert and --datastore-key, signed by a CA in etcd's --trusted-ca-file`;
  return undefined;
}
