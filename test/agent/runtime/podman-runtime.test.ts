import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, buildBaseImage } from '../../../agent/src/image/base-image.ts';
import { LABEL } from '../../../agent/src/runtime/labels.ts';
import { defaultPodmanConfig, RuntimeError } from '../../../agent/src/runtime/podman-cli.ts';
import { createPodmanRuntime, type PodmanRuntime } from '../../../agent/src/runtime/podman-runtime.ts';
import type {
  ContainerConfig,
  ContainerStatus,
  PodSandboxConfig,
} from '../../../agent/src/runtime/runtime.ts';

// Each run is its own "node", so listing by the node label sees only what this file created.
const nodeName = `test-node-${randomUUID().slice(0, 8)}`;
let runtime: PodmanRuntime;
let stateDir: string;
const sandboxes = new Set<string>();

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'kedge-runtime-test-'));
  runtime = await createPodmanRuntime({ nodeName, config: defaultPodmanConfig, stateDir });
  await buildBaseImage(runtime.cli);
});

afterEach(async () => {
  for (const id of sandboxes) await runtime.removePodSandbox(id);
  sandboxes.clear();
});

afterAll(async () => {
  // Whatever a failed test left behind, found by our node label.
  const { stdout } = await runtime.cli.run([
    'pod',
    'ps',
    '-q',
    '--filter',
    `label=${LABEL.node}=${nodeName}`,
  ]);
  for (const id of stdout.split('\n').filter(Boolean)) await runtime.cli.run(['pod', 'rm', '-f', id]);
  runtime.close();
  await rm(stateDir, { recursive: true, force: true });
});

function podConfig(name: string, extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    name: `${name}-${randomUUID().slice(0, 6)}`,
    uid: randomUUID(),
    namespace: 'test',
    labels: {},
    hostname: name,
    portMappings: [],
    ...extra,
  };
}

async function newPod(name: string, extra: Partial<PodSandboxConfig> = {}) {
  const config = podConfig(name, extra);
  const id = await runtime.createPodSandbox(config);
  sandboxes.add(id);
  return { id, config };
}

async function run(sandboxId: string, config: ContainerConfig): Promise<string> {
  const id = await runtime.createContainer(sandboxId, config);
  await runtime.startContainer(id);
  return id;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitExited(id: string): Promise<ContainerStatus> {
  return waitFor(`${id} to exit`, async () => {
    const status = await runtime.inspectContainer(id);
    return status.state === 'exited' ? status : undefined;
  });
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('podman runtime: pods', () => {
  it('runs two containers in one pod that reach each other on localhost', async () => {
    const pod = await newPod('pair');
    await run(pod.id, {
      name: 'web',
      image: BASE_IMAGE,
      command: ['httpd'],
      args: ['-f', '-p', '8080', '-h', '/www'],
    });
    const client = await run(pod.id, {
      name: 'client',
      image: BASE_IMAGE,
      command: [
        'sh',
        '-c',
        'for i in $(seq 1 50); do wget -qO- http://localhost:8080/ && exit 0; sleep 0.1; done; exit 1',
      ],
    });
    const status = await waitExited(client);
    expect(status.exitCode).toBe(0);
    expect(status.reason).toBe('Completed');
    expect(status.name).toBe('client');
    expect((await collect(runtime.containerLogs(client))).join('\n')).toContain('kedge busybox');

    const sandbox = await runtime.inspectPodSandbox(pod.id);
    expect(sandbox.state).toBe('ready');
    expect(sandbox.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(sandbox.uid).toBe(pod.config.uid);
  });

  it('publishes a hostPort on 127.0.0.1 that the node can reach', async () => {
    const hostPort = await freePort();
    const pod = await newPod('published', {
      portMappings: [{ hostIp: '127.0.0.1', hostPort, containerPort: 8080, protocol: 'TCP' }],
    });
    await run(pod.id, {
      name: 'web',
      image: BASE_IMAGE,
      command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
    });
    const body = await waitFor('the published port', async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    });
    expect(body).toContain('kedge busybox');
  });

  it('lists by labels exactly our sandboxes and containers', async () => {
    const a = await newPod('list-a');
    const b = await newPod('list-b');
    const a1 = await run(a.id, { name: 'one', image: BASE_IMAGE, command: ['sleep', '60'] });
    const a2 = await runtime.createContainer(a.id, {
      name: 'two',
      image: BASE_IMAGE,
      command: ['sleep', '60'],
    });
    const b1 = await run(b.id, {
      name: 'one',
      image: BASE_IMAGE,
      command: ['sleep', '60'],
      labels: { tier: 'x' },
    });

    const ofA = await runtime.listContainers({ [LABEL.podUid]: a.config.uid });
    expect(ofA.map((c) => c.id).sort()).toEqual([a1, a2].sort());
    expect(ofA.find((c) => c.id === a2)?.state).toBe('created');
    const onNode = await runtime.listContainers({ [LABEL.node]: nodeName });
    expect(onNode.map((c) => c.id).sort()).toEqual([a1, a2, b1].sort());
    expect((await runtime.listContainers({ tier: 'x' })).map((c) => c.id)).toEqual([b1]);

    const pods = await runtime.listPodSandboxes({ [LABEL.node]: nodeName });
    expect(pods.map((p) => p.id).sort()).toEqual([a.id, b.id].sort());
    expect(await runtime.listPodSandboxes({ [LABEL.podUid]: b.config.uid })).toHaveLength(1);
  });

  it('adopts a pod after a restart: a new runtime instance finds it by labels', async () => {
    const pod = await newPod('adopt');
    const web = await run(pod.id, { name: 'web', image: BASE_IMAGE, command: ['sleep', '60'], attempt: 2 });

    const fresh = await createPodmanRuntime({ nodeName, config: defaultPodmanConfig, stateDir });
    try {
      const [sandbox, ...others] = await fresh.listPodSandboxes({ [LABEL.podUid]: pod.config.uid });
      expect(others).toHaveLength(0);
      expect(sandbox).toMatchObject({
        id: pod.id,
        name: pod.config.name,
        namespace: 'test',
        uid: pod.config.uid,
        state: 'ready',
      });
      const containers = await fresh.listContainers({ [LABEL.podUid]: pod.config.uid });
      expect(containers).toHaveLength(1);
      expect(containers[0]).toMatchObject({
        id: web,
        name: 'web',
        state: 'running',
        sandboxId: pod.id,
        attempt: 2,
        image: BASE_IMAGE,
      });
    } finally {
      fresh.close();
    }
  });

  it('stops and removes a whole sandbox; removing it twice is not an error', async () => {
    const pod = await newPod('teardown');
    const c = await run(pod.id, { name: 'c', image: BASE_IMAGE, command: ['sleep', '60'] });
    await runtime.stopPodSandbox(pod.id, 0);
    expect((await runtime.inspectContainer(c)).state).toBe('exited');
    expect((await runtime.inspectPodSandbox(pod.id)).state).toBe('notready');
    await runtime.removePodSandbox(pod.id);
    await runtime.removePodSandbox(pod.id);
    const err = await runtime.inspectContainer(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).kind).toBe('NotFound');
  });
});

describe('podman runtime: limits and termination', () => {
  it('reports a container that allocates past its memory limit as OOMKilled', async () => {
    const pod = await newPod('oom');
    const id = await run(pod.id, {
      name: 'hog',
      image: BASE_IMAGE,
      memoryLimitBytes: 32 * 1024 * 1024,
      // The shell keeps the 200 MB string in its own memory: far past a 32 MiB limit.
      command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'],
    });
    const status = await waitExited(id);
    expect(status.oomKilled).toBe(true);
    expect(status.reason).toBe('OOMKilled');
    expect(status.exitCode).toBe(137);
  });

  it('a container that handles SIGTERM exits with its own code within the grace period', async () => {
    const pod = await newPod('graceful');
    const id = await run(pod.id, {
      name: 'trapper',
      image: BASE_IMAGE,
      command: ['sh', '-c', 'trap "echo bye; exit 7" TERM; echo ready; while :; do sleep 0.1; done'],
    });
    await waitFor('the trap to be set', async () =>
      (await collect(runtime.containerLogs(id))).includes('ready') ? true : undefined,
    );
    const started = Date.now();
    await runtime.stopContainer(id, 10);
    expect(Date.now() - started).toBeLessThan(5_000);
    const status = await runtime.inspectContainer(id);
    expect(status.exitCode).toBe(7);
    expect(status.reason).toBe('Error');
    expect(await collect(runtime.containerLogs(id))).toContain('bye');
  });

  it('a container that ignores SIGTERM is killed once the grace period is over', async () => {
    const pod = await newPod('stubborn');
    // As pid 1 with no handler, sleep ignores SIGTERM.
    const id = await run(pod.id, { name: 'sleeper', image: BASE_IMAGE, command: ['sleep', '600'] });
    const started = Date.now();
    await runtime.stopContainer(id, 2);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(8_000);
    const status = await runtime.inspectContainer(id);
    expect(status.exitCode).toBe(137);
    expect(status.oomKilled).toBe(false);
  });

  it('stats show memory in use, the memory limit and CPU held to --cpus', async () => {
    const pod = await newPod('stats');
    const idle = await run(pod.id, {
      name: 'idle',
      image: BASE_IMAGE,
      memoryLimitBytes: 64 * 1024 * 1024,
      command: ['sleep', '60'],
    });
    const spinner = await run(pod.id, {
      name: 'spin',
      image: BASE_IMAGE,
      cpuLimit: 0.5,
      command: ['sh', '-c', 'while :; do :; done'],
    });
    await runtime.containerStats([idle, spinner]);
    await new Promise((r) => setTimeout(r, 1500));
    const stats = await runtime.containerStats([idle, spinner]);
    const ofIdle = stats.find((s) => s.id === idle);
    const ofSpinner = stats.find((s) => s.id === spinner);
    expect(ofIdle?.memoryWorkingSetBytes).toBeGreaterThan(0);
    expect(ofIdle?.memoryLimitBytes).toBe(64 * 1024 * 1024);
    // Half a core, measured over the interval between the two samples.
    expect(ofSpinner?.cpuNanoCores).toBeGreaterThan(0.1e9);
    expect(ofSpinner?.cpuNanoCores).toBeLessThan(0.7e9);
    expect(ofSpinner?.cpuPercent).toBeCloseTo((ofSpinner?.cpuNanoCores ?? 0) / 1e7, 5);
  });
});

describe('podman runtime: logs and exec', () => {
  it('returns the last lines with tail, timestamps on request, and a follow that stops on abort', async () => {
    const pod = await newPod('logs');
    const id = await run(pod.id, {
      name: 'talker',
      image: BASE_IMAGE,
      command: [
        'sh',
        '-c',
        'for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; i=0; while :; do i=$((i+1)); echo tick$i; sleep 0.1; done',
      ],
    });
    await waitFor('a few ticks', async () =>
      (await collect(runtime.containerLogs(id))).includes('tick3') ? true : undefined,
    );
    const all = await collect(runtime.containerLogs(id));
    expect(all.slice(0, 5)).toEqual(['line1', 'line2', 'line3', 'line4', 'line5']);
    // stderr travels through its own pipe: it is there, but its place among stdout lines is not fixed.
    expect(all).toContain('oops');

    const tail = await collect(runtime.containerLogs(id, { tailLines: 2 }));
    expect(tail).toHaveLength(2);
    expect(tail[1]).toMatch(/^tick\d+$/);

    const stamped = await collect(runtime.containerLogs(id, { tailLines: 1, timestamps: true }));
    expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*tick\d+$/);

    const controller = new AbortController();
    const followed: string[] = [];
    const started = Date.now();
    for await (const line of runtime.containerLogs(id, {
      follow: true,
      tailLines: 0,
      signal: controller.signal,
    })) {
      followed.push(line);
      if (followed.length === 5) controller.abort();
    }
    expect(followed).toHaveLength(5);
    expect(followed.every((l) => /^tick\d+$/.test(l))).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);

    // A consumer that simply stops reading (no abort) ends the follow too: the CLI is killed.
    const leftAt = Date.now();
    for await (const line of runtime.containerLogs(id, { follow: true, tailLines: 0 })) {
      if (/^tick\d+$/.test(line)) break;
    }
    expect(Date.now() - leftAt).toBeLessThan(10_000);
  });

  it('returns the previous run’s logs with previous: true', async () => {
    const pod = await newPod('previous');
    const first = await run(pod.id, {
      name: 'app',
      image: BASE_IMAGE,
      command: ['echo', 'first run'],
      attempt: 0,
    });
    await waitExited(first);
    const second = await run(pod.id, {
      name: 'app',
      image: BASE_IMAGE,
      command: ['echo', 'second run'],
      attempt: 1,
    });
    await waitExited(second);
    expect(await collect(runtime.containerLogs(second, { previous: true }))).toEqual(['first run']);
    expect(await collect(runtime.containerLogs(second))).toEqual(['second run']);
    const err = await collect(runtime.containerLogs(first, { previous: true })).catch((e: unknown) => e);
    expect((err as RuntimeError).kind).toBe('NotFound');
  });

  it('exec returns exit code, stdout and stderr, and reports a timeout', async () => {
    const pod = await newPod('exec');
    const id = await run(pod.id, { name: 'target', image: BASE_IMAGE, command: ['sleep', '60'] });
    const result = await runtime.exec(id, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toEqual({ exitCode: 3, stdout: 'out', stderr: 'err', timedOut: false });
    expect((await runtime.exec(id, ['true'])).exitCode).toBe(0);
    const slow = await runtime.exec(id, ['sleep', '5'], { timeoutMs: 500 });
    expect(slow.timedOut).toBe(true);
    const missing = await runtime.exec('kedge-no-such-container', ['true']).catch((e: unknown) => e);
    expect((missing as RuntimeError).kind).toBe('NotFound');
  });
});

describe('podman runtime: images', () => {
  it('gives ImageNotFound with what to do for an image that is not on the node', async () => {
    const pod = await newPod('badimage');
    const err = await runtime
      .createContainer(pod.id, { name: 'x', image: 'localhost/kedge/no-such-image:1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).kind).toBe('ImageNotFound');
    expect((err as Error).message).toMatch(/localhost\/kedge\/no-such-image:1 is not on this node/);
    expect((err as Error).message).toMatch(/kedge image build-base/);
  });

  it('knows which images exist and lists them', async () => {
    expect(await runtime.imageExists(BASE_IMAGE)).toBe(true);
    expect(await runtime.imageExists('localhost/kedge/no-such-image:1')).toBe(false);
    const images = await runtime.listImages();
    expect(images.some((i) => i.names.includes(BASE_IMAGE) && i.sizeBytes > 0)).toBe(true);
  });

  it('a pull from an unreachable registry fails clearly', async () => {
    // Port 1 on loopback refuses at once: no traffic leaves the machine.
    const err = await runtime.pullImage('127.0.0.1:1/kedge/nothing:1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).kind).toBe('ImageNotFound');
    expect((err as Error).message).toMatch(/registry is unreachable.*podman load/);
  });
});
