/**
 * Serves the dashboard under /dashboard/ on the API's HTTPS port and puts the cross-origin rules
 * (cors-policy.ts) in front of every path, so that a page loaded from one agent can call another.
 *
 *   request ─▶ CORS preflight? ──────────────▶ 204 (allowed origin) | 403
 *           ─▶ /dashboard, /dashboard/... ───▶ static asset (GET/HEAD; ETag, gzip, CSP)
 *           ─▶ anything else ────────────────▶ the server's own handler (API, /kedge/v1), CORS headers set
 *
 * The page and its scripts hold no secret, so they are served without a token; every call the page
 * makes (API, cluster status, metrics) carries the bearer token the user logged in with and is
 * authenticated by the API server as any CLI call is.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { corsDecision, type OriginPredicate } from './cors-policy.ts';
import { type Asset, DASHBOARD_PREFIX, type DashboardAssets } from './static-assets.ts';

export interface DashboardOptions {
  readonly assets: DashboardAssets;
  /** Which other origins may call this agent (normally the other agents' https://host:port). */
  readonly allowedOrigins: OriginPredicate;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A listener that answers the dashboard and CORS itself and hands everything else to `next`. */
export function dashboardListener(options: DashboardOptions, next: RequestListener): RequestListener {
  const csp = contentSecurityPolicy(options.assets.inlineScriptHashes);
  return (req, res) => {
    const method = req.method ?? 'GET';
    const cors = corsDecision(
      method,
      header(req, 'origin'),
      header(req, 'access-control-request-method'),
      options.allowedOrigins,
    );
    if (cors.kind === 'preflight') {
      res.writeHead(204, { ...cors.headers, 'Content-Length': '0' });
      res.end();
      return;
    }
    if (cors.kind === 'simple')
      for (const [name, value] of Object.entries(cors.headers)) res.setHeader(name, value);
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    if (pathname === '/dashboard') {
      res.writeHead(301, { Location: DASHBOARD_PREFIX, 'Content-Length': '0' });
      res.end();
      return;
    }
    if (!pathname.startsWith(DASHBOARD_PREFIX)) {
      next(req, res);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      writeText(res, 405, 'the dashboard serves GET and HEAD only', { Allow: 'GET, HEAD' });
      return;
    }
    const file = pathname === DASHBOARD_PREFIX ? `${DASHBOARD_PREFIX}index.html` : pathname;
    const asset = options.assets.files.get(file);
    if (asset === undefined) {
      writeText(res, 404, `no dashboard file ${pathname}; open ${DASHBOARD_PREFIX}`);
      return;
    }
    serveAsset(req, res, asset, csp, method === 'HEAD');
  };
}

/**
 * Puts the dashboard in front of whatever request listener the server has (the API server's, or
 * the agent's /kedge/v1 router around it). Mount it last, so its CORS rules cover every path.
 */
export function mountDashboard(server: Server, options: DashboardOptions): void {
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1 || listeners[0] === undefined) {
    throw new Error(`mountDashboard expects one request listener on the server, found ${listeners.length}`);
  }
  server.removeAllListeners('request');
  server.on('request', dashboardListener(options, listeners[0]));
}

function serveAsset(
  req: IncomingMessage,
  res: ServerResponse,
  asset: Asset,
  csp: string,
  headOnly: boolean,
): void {
  const headers: Record<string, string> = {
    'Content-Type': asset.contentType,
    ETag: asset.etag,
    // Revalidate every time: an upgraded agent must not run yesterday's page against today's API.
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': csp,
    Vary: 'Accept-Encoding, Origin',
  };
  if (header(req, 'if-none-match') === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(header(req, 'accept-encoding') ?? '');
  const body = gzip ? asset.gzip : asset.body;
  res.writeHead(200, {
    ...headers,
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    'Content-Length': String(body.length),
  });
  res.end(headOnly ? undefined : body);
}

/** Scripts only from this agent (plus the page's own import map); calls to any https agent. */
export function contentSecurityPolicy(inlineScriptHashes: readonly string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes.map((h) => `'${h}'`).join(' ')}`.trim(),
    // uPlot positions its cursor and legend through element styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self' https:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function writeText(
  res: ServerResponse,
  code: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}
