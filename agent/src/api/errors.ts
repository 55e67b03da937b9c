/**
 * Errors as kinded values: a StatusError carries the exact Status object the API server returns, so
 * every layer (store, controllers, API server) speaks Kubernetes' error vocabulary.
 */
import { type FieldError, formatFieldError, toStatusCause } from './field-errors.ts';
import type { Status, StatusDetails, StatusReason } from './types/meta.ts';

export const STATUS_CODES: Readonly<Record<StatusReason, number>> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  Expired: 410,
  Gone: 410,
  TooManyRequests: 429,
  ServiceUnavailable: 503,
  MethodNotAllowed: 405,
  UnsupportedMediaType: 415,
  RequestEntityTooLarge: 413,
  Timeout: 504,
  InternalError: 500,
};

/** The message Kubernetes returns when a write carried a stale resourceVersion. */
export const OBJECT_MODIFIED =
  'the object has been modified; please apply your changes to the latest version and try again';

/** A resource with its API group; its string form is `deployments.apps` or `pods` for the core group. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** Accepts `pods`, `deployments.apps` or a GroupResource. */
export function toGroupResource(r: string | GroupResource): GroupResource {
  if (typeof r !== 'string') return r;
  const dot = r.indexOf('.');
  return dot < 0 ? { group: '', resource: r } : { group: r.slice(dot + 1), resource: r.slice(0, dot) };
}
function toGroupKind(k: string | GroupKind): GroupKind {
  if (typeof k !== 'string') return k;
  const dot = k.indexOf('.');
  return dot < 0 ? { group: '', kind: k } : { group: k.slice(dot + 1), kind: k.slice(0, dot) };
}
export const qualifiedResource = (r: GroupResource): string =>
  r.group === '' ? r.resource : `${r.resource}.${r.group}`;
export const qualifiedKind = (k: GroupKind): string => (k.group === '' ? k.kind : `${k.kind}.${k.group}`);

export class StatusError extends Error {
  readonly status: Status;

  constructor(status: Status) {
    super(status.message);
    this.name = 'StatusError';
    this.status = status;
  }
  get reason(): StatusReason {
    return this.status.reason;
  }
  get code(): number {
    return this.status.code;
  }
  /** Rebuilds the error from a Status carried as data (a store result, a watch ERROR event). */
  static fromStatus(status: Status): StatusError {
    return new StatusError(status);
  }
}

export function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}

/** True when `x` looks like a Status object on the wire. */
export function isStatus(x: unknown): x is Status {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as { kind?: unknown }).kind === 'Status' &&
    typeof (x as { code?: unknown }).code === 'number'
  );
}

export function makeStatus(reason: StatusReason, message: string, details?: StatusDetails): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code: STATUS_CODES[reason],
  };
  if (details !== undefined) status.details = details;
  return status;
}

function resourceDetails(r: GroupResource, name: string): StatusDetails {
  const d: StatusDetails = { name, kind: r.resource };
  if (r.group !== '') d.group = r.group;
  return d;
}

/** `pods "nope" not found` */
export function notFound(resource: string | GroupResource, name: string): StatusError {
  const r = toGroupResource(resource);
  return new StatusError(
    makeStatus('NotFound', `${qualifiedResource(r)} "${name}" not found`, resourceDetails(r, name)),
  );
}

/** `pods "x" already exists` */
export function alreadyExists(resource: string | GroupResource, name: string): StatusError {
  const r = toGroupResource(resource);
  return new StatusError(
    makeStatus('AlreadyExists', `${qualifiedResource(r)} "${name}" already exists`, resourceDetails(r, name)),
  );
}

/** `Operation cannot be fulfilled on deployments.apps "web": <why>`; `why` defaults to OBJECT_MODIFIED. */
export function conflict(resource: string | GroupResource, name: string, why = OBJECT_MODIFIED): StatusError {
  const r = toGroupResource(resource);
  return new StatusError(
    makeStatus(
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${why}`,
      resourceDetails(r, name),
    ),
  );
}

/** `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be ...`, every cause listed. */
export function invalid(kind: string | GroupKind, name: string, causes: readonly FieldError[]): StatusError {
  const k = toGroupKind(kind);
  const parts = causes.map(formatFieldError);
  const body = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const details: StatusDetails = { name, kind: k.kind, causes: causes.map(toStatusCause) };
  if (k.group !== '') details.group = k.group;
  return new StatusError(makeStatus('Invalid', `${qualifiedKind(k)} "${name}" is invalid: ${body}`, details));
}

export function badRequest(message: string): StatusError {
  return new StatusError(makeStatus('BadRequest', message));
}
export function unauthorized(message = 'Unauthorized'): StatusError {
  return new StatusError(makeStatus('Unauthorized', message));
}
/** `pods "x" is forbidden: <why>`; with an empty name, `pods is forbidden: <why>`. */
export function forbidden(resource: string | GroupResource, name: string, why: string): StatusError {
  const r = toGroupResource(resource);
  const subject = name === '' ? qualifiedResource(r) : `${qualifiedResource(r)} "${name}"`;
  return new StatusError(
    makeStatus('Forbidden', `${subject} is forbidden: ${why}`, resourceDetails(r, name)),
  );
}
/** 410 with reason Expired: a watch or continue token older than the retained history. */
export function expired(message: string): StatusError {
  return new StatusError(makeStatus('Expired', message));
}
export function gone(message: string): StatusError {
  return new StatusError(makeStatus('Gone', message));
}
export function tooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return new StatusError(makeStatus('TooManyRequests', message, { retryAfterSeconds }));
}
export function serviceUnavailable(message: string, retryAfterSeconds?: number): StatusError {
  return new StatusError(
    makeStatus(
      'ServiceUnavailable',
      message,
      retryAfterSeconds === undefined ? undefined : { retryAfterSeconds },
    ),
  );
}
export function methodNotAllowed(): StatusError {
  return new StatusError(
    makeStatus('MethodNotAllowed', 'the server does not allow this method on the requested resource'),
  );
}
export function unsupportedMediaType(contentType: string, accepted: readonly string[]): StatusError {
  return new StatusError(
    makeStatus(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format (${contentType}) - accepted media types include: ${accepted.join(', ')}`,
    ),
  );
}
export function requestEntityTooLarge(limitBytes: number): StatusError {
  return new StatusError(
    makeStatus('RequestEntityTooLarge', `the request body is larger than the limit of ${limitBytes} bytes`),
  );
}
export function timeout(message: string, retryAfterSeconds?: number): StatusError {
  return new StatusError(
    makeStatus('Timeout', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds }),
  );
}
export function internalError(message: string): StatusError {
  return new StatusError(makeStatus('InternalError', `Internal error occurred: ${message}`));
}
