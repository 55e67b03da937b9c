/**
 * Status errors for the API server. The error vocabulary itself lives in `api/errors.ts` (shared
 * with the store and controllers); this file adds what only the HTTP layer needs and turns any
 * thrown value into a Status, so every failure reaches the client as `kind: Status`.
 */
import { internalError, isStatusError, makeStatus, StatusError } from '../api/errors.ts';
import type { Status } from '../api/types/meta.ts';

export {
  alreadyExists,
  badRequest,
  conflict,
  expired,
  forbidden,
  internalError,
  invalid,
  isStatusError,
  makeStatus,
  methodNotAllowed,
  notFound,
  requestEntityTooLarge,
  StatusError,
  serviceUnavailable,
  timeout,
  unauthorized,
  unsupportedMediaType,
} from '../api/errors.ts';
export type { Status, StatusReason } from '../api/types/meta.ts';

/** The message kubectl prints for an unknown path or resource type. */
export function pathNotFound(): StatusError {
  return new StatusError(makeStatus('NotFound', 'the server could not find the requested resource'));
}

/** 422 for a well-formed patch that cannot apply to this object (as Kubernetes answers). */
export function unprocessablePatch(message: string): StatusError {
  return new StatusError(makeStatus('Invalid', message));
}

/** Any thrown value as a Status; unknown errors become InternalError (500) with their message. */
export function toStatus(error: unknown): Status {
  if (isStatusError(error)) return error.status;
  const message = error instanceof Error ? error.message : String(error);
  return internalError(message).status;
}
