/** Status errors from the API server, shown the way kubectl shows them. */
import type { Status } from '../api.ts';
import { CliError } from '../errors.ts';

export class ApiError extends CliError {
  readonly status: Status;

  constructor(status: Status, display: string) {
    super('Server', status.message ?? status.reason ?? `HTTP ${status.code}`, display);
    this.name = 'ApiError';
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason ?? '';
  }
}

/** kubectl's wording: `Error from server (NotFound): pods "nope" not found`. */
export function displayStatus(status: Status, context?: string): string {
  if (status.code === 401)
    return 'error: You must be logged in to the server (Unauthorized)\nCheck the token or client certificate of your kubeconfig user (`kedge config view`).';
  const message = status.message || defaultMessage(status.code);
  const where = context ? `${context}: ` : '';
  return status.reason
    ? `Error from server (${status.reason}): ${where}${message}`
    : `Error from server: ${where}${message}`;
}

function defaultMessage(code: number): string {
  if (code === 404) return 'the server could not find the requested resource';
  if (code === 503) return 'the server is currently unable to handle the request';
  return `the server answered HTTP ${code}`;
}

/** Builds the error for a non-2xx reply; a body that is not a Status is summarised. */
export function apiErrorFrom(code: number, body: string, context?: string): ApiError {
  let status: Status | undefined;
  try {
    const parsed = JSON.parse(body) as Partial<Status>;
    if (parsed && parsed.kind === 'Status') status = { ...parsed, code: parsed.code ?? code } as Status;
  } catch {
    // not JSON: fall through to a synthetic Status carrying the text
  }
  status ??= {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: body.trim().slice(0, 500) || defaultMessage(code),
    reason: reasonFor(code),
    code,
  } as Status;
  return new ApiError(status, displayStatus(status, context));
}

function reasonFor(code: number): Status['reason'] {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Expired',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return (reasons[code] ?? 'Unknown') as Status['reason'];
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown): boolean =>
  e instanceof ApiError && e.code === 409 && e.reason === 'Conflict';
