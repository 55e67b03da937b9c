import { badRequest } from '../status.ts';

/** The query parameters of a resource request, checked and typed. */
export interface RequestQuery {
  readonly watch: boolean;
  readonly labelSelector: string;
  readonly fieldSelector: string;
  readonly limit: number | undefined;
  readonly continueToken: string | undefined;
  readonly resourceVersion: string | undefined;
  readonly resourceVersionMatch: string | undefined;
  readonly timeoutSeconds: number | undefined;
  readonly allowWatchBookmarks: boolean;
  readonly dryRun: boolean;
  readonly propagationPolicy: PropagationPolicy | undefined;
  readonly gracePeriodSeconds: number | undefined;
  readonly fieldManager: string | undefined;
  readonly fieldValidation: 'Ignore' | 'Warn' | 'Strict' | undefined;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';
const policies = new Set(['Orphan', 'Background', 'Foreground']);

/** Parses the query string; a malformed value is BadRequest naming the parameter. */
export function parseQuery(params: URLSearchParams): RequestQuery {
  const propagationPolicy = params.get('propagationPolicy') ?? undefined;
  if (propagationPolicy !== undefined && !policies.has(propagationPolicy)) {
    throw badRequest(
      `propagationPolicy must be Orphan, Background or Foreground, not "${propagationPolicy}"`,
    );
  }
  const dryRun = params.getAll('dryRun');
  for (const value of dryRun) {
    if (value !== 'All') throw badRequest(`dryRun must be "All", not "${value}"`);
  }
  const fieldValidation = params.get('fieldValidation') ?? undefined;
  if (fieldValidation !== undefined && !['Ignore', 'Warn', 'Strict'].includes(fieldValidation)) {
    throw badRequest(`fieldValidation must be Ignore, Warn or Strict, not "${fieldValidation}"`);
  }
  return {
    watch: flag(params, 'watch'),
    labelSelector: params.get('labelSelector') ?? '',
    fieldSelector: params.get('fieldSelector') ?? '',
    limit: nonNegativeInteger(params, 'limit'),
    continueToken: params.get('continue') || undefined,
    resourceVersion: params.get('resourceVersion') ?? undefined,
    resourceVersionMatch: params.get('resourceVersionMatch') || undefined,
    timeoutSeconds: nonNegativeInteger(params, 'timeoutSeconds'),
    allowWatchBookmarks: flag(params, 'allowWatchBookmarks'),
    dryRun: dryRun.length > 0,
    propagationPolicy: propagationPolicy as PropagationPolicy | undefined,
    gracePeriodSeconds: nonNegativeInteger(params, 'gracePeriodSeconds'),
    fieldManager: params.get('fieldManager') ?? undefined,
    fieldValidation: fieldValidation as RequestQuery['fieldValidation'],
  };
}

function flag(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw badRequest(`${name} must be true or false, not "${value}"`);
}

function nonNegativeInteger(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw badRequest(`${name} must be a non-negative integer, not "${value}"`);
  return Number(value);
}
