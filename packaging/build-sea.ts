/**
 * Builds dist/kedge: the agent and the CLI as ONE executable file (Node's single executable
 * application support), to install on an edge box by copying it.
 *
 *   packaging/sea-main.ts ──esbuild (bundle, CommonJS, node24)──> dist/sea/kedge.cjs
 *   ──node --experimental-sea-config──> dist/sea/kedge.blob
 *   copy of this Node 24 binary ──postject (NODE_SEA_BLOB, the SEA fuse)──> dist/kedge
 *   ──smoke check: dist/kedge version --client
 *
 * Run with the project's Node 24: `node_modules/.bin/node packaging/build-sea.ts [--out DIR]`
 * (`npm run build:sea`).
 * The SEA main script must be CommonJS in Node 24, so `import.meta.url` is rewritten to the
 * executable's own URL; nothing in the bundle loads files next to itself at run time.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { dashboardSourceFiles, SEA_DASHBOARD_MANIFEST } from '../agent/src/web/static-assets.ts';

const root = path.resolve(import.meta.dirname, '..');
// `--out DIR` builds elsewhere (the e2e test builds into a temporary directory).
const outFlag = process.argv.indexOf('--out');
const dist =
  outFlag > 0 && process.argv[outFlag + 1]
    ? path.resolve(process.argv[outFlag + 1] as string)
    : path.join(root, 'dist');
const work = path.join(dist, 'sea');
const bundle = path.join(work, 'kedge.cjs');
const blob = path.join(work, 'kedge.blob');
const output = path.join(dist, 'kedge');
// The fuse Node looks for to know it carries a SEA blob (documented with the SEA feature).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export class SeaBuildError extends Error {
  readonly kind = 'SeaBuild';
}

async function main(): Promise<void> {
  const [major] = process.versions.node.split('.').map(Number);
  if ((major ?? 0) < 24)
    throw new SeaBuildError(`run this with Node 24 (node_modules/.bin/node), not ${process.version}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const started = Date.now();
  const result = await build({
    entryPoints: [path.join(root, 'packaging', 'sea-main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    outfile: bundle,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    define: { 'import.meta.url': '__kedge_import_meta_url', 'import.meta.dirname': '__dirname' },
    banner: { js: 'const __kedge_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  });
  const modules = Object.keys(result.metafile.inputs).length;
  say(`bundled ${modules} modules into ${rel(bundle)} (${mb(bundle)}) in ${Date.now() - started} ms`);

  const config = path.join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify(
      {
        main: bundle,
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: false,
        assets: await dashboardAssets(),
      },
      null,
      2,
    ),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });

  rmSync(output, { force: true });
  copyFileSync(process.execPath, output);
  chmodSync(output, 0o755);
  stripSymbols(output);
  const postject = createRequire(import.meta.url)('postject') as {
    inject(file: string, name: string, data: Buffer, o: { sentinelFuse: string }): Promise<void>;
  };
  await postject.inject(output, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  say(`wrote ${rel(output)} (${mb(output)})`);

  const version = execFileSync(output, ['version', '--client'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('kedge ')) throw new SeaBuildError(`${rel(output)} does not run: "${version}"`);
  say(`check: ${rel(output)} version --client -> ${version}`);
}

/** The dashboard's page, modules and uPlot, embedded as SEA assets with a manifest listing them. */
async function dashboardAssets(): Promise<Record<string, string>> {
  const sources = await dashboardSourceFiles();
  const manifest = path.join(work, 'dashboard-manifest.json');
  writeFileSync(manifest, JSON.stringify(sources.map((s) => s.url)));
  const assets: Record<string, string> = { [SEA_DASHBOARD_MANIFEST]: manifest };
  for (const { url, file } of sources) assets[`dashboard/${url}`] = file;
  say(`embedding ${sources.length} dashboard files`);
  return assets;
}

/** The npm Node binary carries ~18 MiB of debug symbols an edge box does not need; binutils' strip drops them. */
function stripSymbols(file: string): void {
  try {
    execFileSync('strip', [file], { stdio: 'inherit' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    say('strip (binutils) is not installed: keeping the debug symbols (the file is ~18 MiB larger)');
  }
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const rel = (file: string) => path.relative(root, file);
const mb = (file: string) => `${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB`;

try {
  await main();
} catch (error) {
  process.stderr.write(`build-sea: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
