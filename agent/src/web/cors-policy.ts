/**
 * Cross-origin rules for the dashboard's failover: the page was loaded from one agent, and when
 * that agent dies it calls another agent, which is another origin. The API authenticates by a
 * bearer token the page sends explicitly, never by cookies, so allowing an origin without
 * Access-Control-Allow-Credentials lets that origin's page use a token it already holds and
 * nothing more (a browser's client certificate is never sent on such requests).
 *
 *   request with Origin ─▶ allowed(origin)? ─ no ──▶ no CORS headers (the browser blocks the reply)
 *                                       └─ yes ─▶ preflight (OPTIONS + Access-Control-Request-Method) ─▶ 204
 *                                                 anything else ─▶ Access-Control-Allow-Origin on the reply
 */

export type OriginPredicate = (origin: string) => boolean;

export type CorsDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'preflight'; readonly headers: Record<string, string> }
  | { readonly kind: 'simple'; readonly headers: Record<string, string> };

const allowMethods = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const allowHeaders = 'Authorization, Content-Type, Accept';

/** What to do with a request, from its method and headers alone. */
export function corsDecision(
  method: string,
  origin: string | undefined,
  requestMethod: string | undefined,
  allowed: OriginPredicate,
): CorsDecision {
  if (origin === undefined || !allowed(origin)) return { kind: 'none' };
  const base = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  if (method === 'OPTIONS' && requestMethod !== undefined) {
    return {
      kind: 'preflight',
      headers: {
        ...base,
        'Access-Control-Allow-Methods': allowMethods,
        'Access-Control-Allow-Headers': allowHeaders,
        'Access-Control-Max-Age': '600',
      },
    };
  }
  return { kind: 'simple', headers: base };
}

/** Origins of the cluster's agents: https://<apiAddress> for each, plus any extra ones given. */
export function agentOrigins(
  apiAddresses: () => Iterable<string>,
  extra: readonly string[] = [],
): OriginPredicate {
  return (origin) => {
    if (extra.includes(origin)) return true;
    for (const address of apiAddresses()) if (origin === `https://${address}`) return true;
    return false;
  };
}
