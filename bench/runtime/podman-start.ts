/**
 * Pod start cost: our createPodSandbox + createContainer + startContainer until the container runs,
 * through the podman API service and through the CLI, beside a bare `podman run -d` of the same
 * image and command in the same run (the anchor), and a one-call pod (`podman run -d --pod new:`)
 * that shows what the infra container itself costs. All four are interleaved.
 *
 *   node_modules/.bin/node bench/runtime/podman-start.ts [runs=20]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_IMAGE, buildBaseImage } from '../../agent/src/image/base-image.ts';
import { defaultPodmanConfig } from '../../agent/src/runtime/podman-cli.ts';
import { createPodmanRuntime, type PodmanRuntime } from '../../agent/src/runtime/podman-runtime.ts';

const runs = Number(process.argv[2] ?? 20);
const stateDir = await mkdtemp(join(tmpdir(), 'kedge-bench-'));
const nodeName = `bench-${randomUUID().slice(0, 8)}`;
const runtime = await createPodmanRuntime({ nodeName, config: defaultPodmanConfig, stateDir, api: true });
const cliRuntime = await createPodmanRuntime({ nodeName, config: defaultPodmanConfig, stateDir, api: false });
if (runtime.mode !== 'api') throw new Error(`the API runtime is not in API mode: ${runtime.modeDescription}`);
const cli = runtime.cli;
await buildBaseImage(cli);

const command = ['sleep', '600'];
const { version } = await runtime.version();

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function ours(runtime: PodmanRuntime): Promise<number> {
  const uid = randomUUID();
  const started = performance.now();
  const sandbox = await runtime.createPodSandbox({
    name: `bench-${uid.slice(0, 6)}`,
    uid,
    namespace: 'bench',
    labels: {},
    hostname: 'bench',
    portMappings: [],
  });
  const id = await runtime.createContainer(sandbox, { name: 'main', image: BASE_IMAGE, command });
  await runtime.startContainer(id);
  const elapsed = performance.now() - started;
  const status = await runtime.inspectContainer(id);
  if (status.state !== 'running') throw new Error(`our container is ${status.state}, not running`);
  await runtime.removePodSandbox(sandbox);
  return elapsed;
}

async function bareRun(): Promise<number> {
  const name = `kedge-bench-bare-${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  await cli.run(['run', '-d', '--name', name, ...cli.containerFlags(), BASE_IMAGE, ...command]);
  const elapsed = performance.now() - started;
  await cli.run(['rm', '-f', '-t', '0', name]);
  return elapsed;
}

async function oneCallPod(): Promise<number> {
  const name = `kedge-bench-pod-${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  await cli.run(['run', '-d', '--pod', `new:${name}`, ...cli.containerFlags(), BASE_IMAGE, ...command]);
  const elapsed = performance.now() - started;
  await cli.run(['pod', 'rm', '-f', '-t', '0', name]);
  return elapsed;
}

const results = { ours: [] as number[], cli: [] as number[], bare: [] as number[], pod: [] as number[] };
try {
  // One warm-up each (the infra image is built on first use), then interleaved runs.
  await ours(runtime);
  await ours(cliRuntime);
  await bareRun();
  await oneCallPod();
  for (let i = 0; i < runs; i++) {
    results.ours.push(await ours(runtime));
    results.cli.push(await ours(cliRuntime));
    results.bare.push(await bareRun());
    results.pod.push(await oneCallPod());
  }
} finally {
  const { stdout } = await cli.run(['pod', 'ps', '-q', '--filter', `label=io.kedge.node=${nodeName}`]);
  for (const id of stdout.split('\n').filter(Boolean)) await cli.run(['pod', 'rm', '-f', '-t', '0', id]);
  runtime.close();
  cliRuntime.close();
  await rm(stateDir, { recursive: true, force: true });
}

const row = (label: string, v: number[]) =>
  `${label.padEnd(46)} p50 ${percentile(v, 50).toFixed(0).padStart(5)} ms   p99 ${percentile(v, 99).toFixed(0).padStart(5)} ms`;
console.log(
  `pod start -> container running, ${runs} runs each (podman ${version}), load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(row('kedge via podman API: sandbox+create+start', results.ours));
console.log(row('kedge via podman CLI: sandbox+create+start', results.cli));
console.log(row('anchor: podman run -d', results.bare));
console.log(row('anchor: podman run -d --pod new: (one call)', results.pod));
console.log(
  `ratio kedge API / podman run -d: p50 ${(percentile(results.ours, 50) / percentile(results.bare, 50)).toFixed(2)}x, p99 ${(percentile(results.ours, 99) / percentile(results.bare, 99)).toFixed(2)}x (target < 1.5x)`,
);
console.log(
  `ratio kedge CLI / podman run -d: p50 ${(percentile(results.cli, 50) / percentile(results.bare, 50)).toFixed(2)}x, p99 ${(percentile(results.cli, 99) / percentile(results.bare, 99)).toFixed(2)}x`,
);
console.log(
  `ratio kedge / one-call pod:    p50 ${(percentile(results.ours, 50) / percentile(results.pod, 50)).toFixed(2)}x`,
);
