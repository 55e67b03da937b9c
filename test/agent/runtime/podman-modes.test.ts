/** The driver's two doors to podman: its API service (default) and the CLI (fallback), on real podman. */
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, buildBaseImage } from '../../../agent/src/image/base-image.ts';
import { LABEL } from '../../../agent/src/runtime/labels.ts';
import { defaultPodmanConfig } from '../../../agent/src/runtime/podman-cli.ts';
import { createPodmanRuntime, type PodmanRuntime } from '../../../agent/src/runtime/podman-runtime.ts';
import type { ContainerEvent } from '../../../agent/src/runtime/runtime.ts';

const nodeName = `test-modes-${randomUUID().slice(0, 8)}`;
let stateDir: string;
const runtimes: PodmanRuntime[] = [];

async function runtimeWith(options: Partial<Parameters<typeof createPodmanRuntime>[0]> = {}) {
  const r = await createPodmanRuntime({ nodeName, config: defaultPodmanConfig, stateDir, ...options });
  runtimes.push(r);
  return r;
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'kedge-modes-test-'));
  const r = await runtimeWith({ api: false });
  await buildBaseImage(r.cli);
}, 120_000);

afterAll(async () => {
  const cli = runtimes[0]?.cli;
  if (cli) {
    const { stdout } = await cli.run(['pod', 'ps', '-q', '--filter', `label=${LABEL.node}=${nodeName}`]);
    for (const id of stdout.split('\n').filter(Boolean)) await cli.run(['pod', 'rm', '-f', '-t', '0', id]);
  }
  for (const r of runtimes) r.close();
  await rm(stateDir, { recursive: true, force: true });
}, 120_000);

/** A pod with one container running `script`; returns the sandbox and container ids. */
async function startPod(runtime: PodmanRuntime, script: string) {
  const uid = randomUUID();
  const sandbox = await runtime.createPodSandbox({
    name: `m-${uid.slice(0, 6)}`,
    uid,
    namespace: 'test',
    labels: {},
    hostname: 'm',
    portMappings: [],
  });
  const id = await runtime.createContainer(sandbox, {
    name: 'main',
    image: BASE_IMAGE,
    command: ['sh', '-c', script],
  });
  await runtime.startContainer(id);
  return { sandbox, id };
}

/** The first event for this container with this action, from the runtime's event stream. */
async function eventFor(
  runtime: PodmanRuntime,
  signal: AbortSignal,
  id: () => string | undefined,
  action: string,
) {
  for await (const e of runtime.containerEvents({ [LABEL.node]: nodeName }, signal))
    if (e.id === id() && e.action === action) return e;
  return undefined;
}

describe('podman API and CLI modes', () => {
  it('uses the API service by default and reports a container death as an event with its exit code', async () => {
    const runtime = await runtimeWith();
    expect(runtime.mode).toBe('api');
    expect(runtime.modeDescription).toMatch(/podman API on .*\.sock/);
    const abort = new AbortController();
    let id: string | undefined;
    const died = eventFor(runtime, abort.signal, () => id, 'died');
    // The stream is connected once podman answers; give it a moment before the container runs.
    await new Promise((r) => setTimeout(r, 300));
    const started = await startPod(runtime, 'sleep 0.5; exit 4');
    id = started.id;
    const event = (await Promise.race([died, new Promise((r) => setTimeout(r, 15_000))])) as
      | ContainerEvent
      | undefined;
    abort.abort();
    expect(event).toMatchObject({ id: started.id, action: 'died', exitCode: 4 });
    expect(event?.labels[LABEL.containerName]).toBe('main');
    const [status] = await runtime.listContainers({ [LABEL.sandboxId]: started.sandbox });
    expect(status).toMatchObject({ id: started.id, state: 'exited', exitCode: 4, reason: 'Error' });
    await runtime.removePodSandbox(started.sandbox);
  }, 60_000);

  it('falls back to the CLI, and says why, when the service cannot start', async () => {
    // A podman that refuses to run a service but does everything else.
    const wrapper = join(stateDir, 'podman-no-service');
    await writeFile(
      wrapper,
      '#!/bin/sh\nfor a in "$@"; do [ "$a" = service ] && { echo "no service on this box" >&2; exit 3; }; done\nexec podman "$@"\n',
    );
    await chmod(wrapper, 0o755);
    const runtime = await runtimeWith({ config: { ...defaultPodmanConfig, binary: wrapper } });
    expect(runtime.mode).toBe('cli');
    expect(runtime.modeDescription).toContain('no service on this box');
    const { sandbox, id } = await startPod(runtime, 'sleep 60');
    expect((await runtime.inspectContainer(id)).state).toBe('running');
    expect((await runtime.inspectPodSandbox(sandbox)).state).toBe('ready');
    await runtime.removePodSandbox(sandbox);
  }, 60_000);

  it('turns to the CLI when the service dies under it', async () => {
    const runtime = await runtimeWith();
    const pid = runtime.servicePid;
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (runtime.mode === 'api' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(runtime.mode).toBe('cli');
    expect(runtime.modeDescription).toMatch(/exited \(SIGKILL\)/);
    const { sandbox, id } = await startPod(runtime, 'sleep 60');
    expect((await runtime.inspectContainer(id)).state).toBe('running');
    await runtime.removePodSandbox(sandbox);
  }, 60_000);

  it('the CLI mode streams events through `podman events`', async () => {
    const runtime = await runtimeWith({ api: false });
    const abort = new AbortController();
    let id: string | undefined;
    const died = eventFor(runtime, abort.signal, () => id, 'died');
    await new Promise((r) => setTimeout(r, 1000));
    // `podman events` reports only what happens after it subscribed, which can take a while on a
    // loaded machine: let the container live long enough to die under the stream's eyes.
    const started = await startPod(runtime, 'sleep 3; exit 5');
    id = started.id;
    const event = (await Promise.race([died, new Promise((r) => setTimeout(r, 15_000))])) as
      | ContainerEvent
      | undefined;
    abort.abort();
    expect(event).toMatchObject({ id: started.id, action: 'died' });
    await runtime.removePodSandbox(started.sandbox);
  }, 60_000);
});
