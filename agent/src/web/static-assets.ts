/**
 * The dashboard's files, read once when the agent starts: the app's modules, page and styles from
 * app/, and uPlot's ES module and stylesheet from node_modules. Nothing is generated on disk or
 * committed; each asset is kept in memory with its gzip form, an ETag and the CSP hashes of the
 * inline scripts in the page (the import map).
 *
 *   app/*.{html,js,css} ─┐
 *   uplot/dist/* ────────┴─▶ loadDashboardAssets() ─▶ Map('/dashboard/...' -> Asset)
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

export interface DashboardAssets {
  /** By URL path, e.g. '/dashboard/index.html', '/dashboard/vendor/uPlot.esm.js'. */
  readonly files: ReadonlyMap<string, Asset>;
  /** 'sha256-...' of every inline <script> in index.html, for the Content-Security-Policy. */
  readonly inlineScriptHashes: readonly string[];
}

export class DashboardAssetError extends Error {
  readonly kind = 'NotFound';
}

export const DASHBOARD_PREFIX = '/dashboard/';
export const defaultAppDir = fileURLToPath(new URL('./app/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The key of the SEA asset that lists the embedded dashboard files (see packaging/build-sea.ts). */
export const SEA_DASHBOARD_MANIFEST = 'dashboard/manifest.json';

/**
 * The dashboard's files with their URL path (relative to /dashboard/) and where they are read from,
 * for the single-file build to embed them.
 */
export async function dashboardSourceFiles(appDir = defaultAppDir): Promise<{ url: string; file: string }[]> {
  const out: { url: string; file: string }[] = [];
  for (const name of await listFiles(appDir)) {
    if (contentTypes[path.extname(name)] !== undefined)
      out.push({ url: name, file: path.join(appDir, name) });
  }
  const uplotDir = uplotDistDir();
  for (const file of ['uPlot.esm.js', 'uPlot.min.css'])
    out.push({ url: `vendor/${file}`, file: path.join(uplotDir, file) });
  return out;
}

/**
 * Reads the app and its vendored library; fails with a message naming what is missing. Inside the
 * single executable (packaging/) the files come from the embedded SEA assets instead of the disk.
 */
export async function loadDashboardAssets(appDir = defaultAppDir): Promise<DashboardAssets> {
  const sea = await import('node:sea');
  if (sea.isSea()) return loadEmbeddedAssets(sea);
  const files = new Map<string, Asset>();
  for (const name of await listFiles(appDir)) {
    const type = contentTypes[path.extname(name)];
    if (type === undefined) continue; // tsconfig.json and the like are for the type checker only
    files.set(DASHBOARD_PREFIX + name, asset(await readFile(path.join(appDir, name)), type));
  }
  const index = files.get(`${DASHBOARD_PREFIX}index.html`);
  if (index === undefined) throw new DashboardAssetError(`${appDir} has no index.html; reinstall the agent`);
  const uplotDir = uplotDistDir();
  for (const [file, type] of [
    ['uPlot.esm.js', contentTypes['.js']],
    ['uPlot.min.css', contentTypes['.css']],
  ] as const) {
    files.set(
      `${DASHBOARD_PREFIX}vendor/${file}`,
      asset(await readFile(path.join(uplotDir, file)), type ?? ''),
    );
  }
  return { files, inlineScriptHashes: inlineScriptHashes(index.body.toString('utf8')) };
}

function loadEmbeddedAssets(sea: { getAsset(key: string): ArrayBuffer }): DashboardAssets {
  const urls = JSON.parse(Buffer.from(sea.getAsset(SEA_DASHBOARD_MANIFEST)).toString('utf8')) as string[];
  const files = new Map<string, Asset>();
  for (const url of urls) {
    const type = contentTypes[path.extname(url)] ?? 'application/octet-stream';
    files.set(DASHBOARD_PREFIX + url, asset(Buffer.from(sea.getAsset(`dashboard/${url}`)), type));
  }
  const index = files.get(`${DASHBOARD_PREFIX}index.html`);
  if (index === undefined)
    throw new DashboardAssetError('this kedge executable embeds no dashboard index.html; rebuild it');
  return { files, inlineScriptHashes: inlineScriptHashes(index.body.toString('utf8')) };
}

function uplotDistDir(): string {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('uplot'));
  } catch (error) {
    throw new DashboardAssetError(
      `the dashboard needs the uplot package (${(error as Error).message}); run npm ci in the kedge checkout`,
    );
  }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

function asset(body: Buffer, contentType: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, gzip: gzipSync(body, { level: 9 }), contentType, etag };
}

/** The CSP hash of each inline script body (between <script ...> and </script>, no src). */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)) {
    const body = match[1] ?? '';
    hashes.push(`sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}`);
  }
  return hashes;
}
