/**
 * Consensus failures as the API's Status errors. Whatever went wrong inside Raft (no leader, the
 * leader changed mid-request, no quorum within the deadline, the node stopping), the client gets
 * 503 ServiceUnavailable with Retry-After: the request may be retried, and no answer is ever made
 * up from a replica that could not prove it was current.
 */

import { ConsensusError } from '../../../consensus/src/types.ts';
import { isStatusError, type StatusError, serviceUnavailable } from '../api/errors.ts';

/** Seconds a client should wait before retrying while an election settles. */
export const RETRY_AFTER_SECONDS = 1;

/** Maps a thrown value from propose/readIndex to a StatusError (others pass through unchanged). */
export function toApiError(error: unknown, what: 'write' | 'read'): unknown {
  if (isStatusError(error) || !(error instanceof ConsensusError)) return error;
  return unavailable(error, what);
}

function unavailable(error: ConsensusError, what: 'write' | 'read'): StatusError {
  const maybe =
    what === 'write' && error.kind !== 'NotLeader'
      ? ' The write may still take effect: read before retrying a non-idempotent change.'
      : '';
  switch (error.kind) {
    case 'ProposalDropped':
    case 'NotLeader':
      return serviceUnavailable(
        `the control plane has no leader right now (election in progress): ${error.message}.${maybe}`,
        RETRY_AFTER_SECONDS,
      );
    case 'Timeout':
      return serviceUnavailable(
        `the control plane did not reach a quorum in time: ${error.message}.${maybe}`,
        RETRY_AFTER_SECONDS,
      );
    default:
      return serviceUnavailable(
        `this agent cannot serve the request (${error.kind}): ${error.message}; retry on another agent`,
        RETRY_AFTER_SECONDS,
      );
  }
}
