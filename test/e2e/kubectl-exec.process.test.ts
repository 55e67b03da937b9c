/**
 * `kubectl exec` against a real 3-agent cluster with the real kubectl 1.33 (WebSocket, v5) and
 * 1.27 (SPDY/3.1, v4), and `kubectl port-forward` with both: kubectl talks to agent 1 and the
 * pods run on agents 1, 2 and 3, so sessions cross the API's tunnel (apiserver/streaming/) to
 * another node or to agent 1's own node endpoint before podman runs the command
 * (node/node-exec.ts) or the connection reaches the pod (node/node-port-forward.ts); and
 * `kubectl attach` (1.33) to a container's own output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSYBOX,
  isRunningReady,
  type LocalTestCluster,
  type PodView,
  startLocalCluster,
  waitFor,
} from './local-cluster-harness.ts';

const kubectl133 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';
/** kubectl 1.27 speaks SPDY/3.1 only (v4.channel.k8s.io). */
const kubectl127 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.27';
// A long-running container that stops at once on SIGTERM (sh as PID 1 ignores it otherwise).
const idle = 'trap "exit 0" TERM; while :; do sleep 1; done';

let cluster: LocalTestCluster;
const PAGE = `page-${process.pid}`;
const figures: Record<string, number> = {};

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the start to the first stdout byte (undefined: none came). */
  readonly firstOutputMs: number | undefined;
}

/** kubectl with the cluster's kubeconfig, optional stdin, and its exit code (never rejects). */
function kubectl(
  args: string[],
  options: { input?: string | Buffer; killAfterMs?: number; binary?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(
      options.binary ?? kubectl133,
      ['--kubeconfig', cluster.up.kubeconfig, '--cache-dir', path.join(cluster.dir, 'kcache'), ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let firstOutputMs: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      firstOutputMs ??= Date.now() - started;
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, firstOutputMs });
    });
    child.stdin.end(options.input);
  });
}

const pod = (name: string, containers: { name: string; who: string }[], nodeName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { 'exec-test': name } },
  spec: {
    nodeName,
    terminationGracePeriodSeconds: 1,
    containers: containers.map((c) => ({
      name: c.name,
      image: BUSYBOX,
      command: ['sh', '-c', idle],
      env: [{ name: 'WHO', value: c.who }],
    })),
  },
});

beforeAll(async () => {
  const t0 = Date.now();
  cluster = await startLocalCluster('kexec');
  // shell runs on agent 3 (kubectl's agent tunnels to another node); duo on agent 1 itself (the
  // agent tunnels to its own node endpoint).
  await cluster.create(pod('shell', [{ name: 'main', who: 'main' }], cluster.nodeNames[2]!));
  await cluster.create(
    pod(
      'duo',
      [
        { name: 'a', who: 'first' },
        { name: 'b', who: 'second' },
      ],
      cluster.nodeNames[0]!,
    ),
  );
  // A web server on agent 2, for port-forward.
  await cluster.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { 'exec-test': 'web' } },
    spec: {
      nodeName: cluster.nodeNames[1],
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: BUSYBOX,
          command: [
            'sh',
            '-c',
            `mkdir -p /www && echo ${PAGE} > /www/index.html && exec httpd -f -p 8080 -h /www`,
          ],
        },
      ],
    },
  });
  for (const name of ['shell', 'duo', 'web'])
    await waitFor(
      `pod ${name} running`,
      async () => {
        const [p] = await cluster.pods(`exec-test=${name}`);
        return p && isRunningReady(p) ? (p as PodView) : undefined;
      },
      60_000,
      async () => JSON.stringify((await cluster.pods(`exec-test=${name}`))[0]?.status ?? {}),
    );
  figures.clusterAndPodsReadyMs = Date.now() - t0;
}, 150_000);

afterAll(async () => {
  console.log('kubectl exec figures', figures);
  await cluster?.stop();
}, 120_000);

describe('kubectl exec (1.33, WebSocket) through the API to the pod node', () => {
  it('runs a command and prints its output', async () => {
    const t0 = Date.now();
    const run = await kubectl(['exec', 'shell', '--', 'echo', 'hi']);
    figures.echoRoundTripMs = Date.now() - t0;
    expect(run).toMatchObject({ code: 0, stdout: 'hi\n' });
  });

  it('pipes stdin to the command and ends it at EOF', async () => {
    const data = 'line one\nline two\n'.repeat(1000);
    const run = await kubectl(['exec', '-i', 'shell', '--', 'cat'], { input: data });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(data);
  });

  it('keeps stdout and stderr apart and exits with the command exit code', async () => {
    const run = await kubectl(['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('out\n');
    expect(run.stderr).toContain('err\n');
    expect(run.stderr).not.toContain('out');
  });

  it('streams output as it is written, not when the command ends', async () => {
    const t0 = Date.now();
    const run = await kubectl(['exec', 'shell', '--', 'sh', '-c', 'echo first; sleep 3; echo second']);
    const total = Date.now() - t0;
    expect(run).toMatchObject({ code: 0, stdout: 'first\nsecond\n' });
    figures.firstOutputMs = run.firstOutputMs ?? -1;
    expect(run.firstOutputMs).toBeDefined();
    expect(total - run.firstOutputMs!).toBeGreaterThan(2500);
  });

  it('carries a few megabytes of output intact', async () => {
    const t0 = Date.now();
    const run = await kubectl(['exec', 'shell', '--', 'sh', '-c', 'head -c 4000000 /dev/zero | tr "\\0" x']);
    figures.fourMegabytesMs = Date.now() - t0;
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBe(4_000_000);
  });

  it('selects the container with -c and refuses one the pod does not have', async () => {
    const second = await kubectl(['exec', 'duo', '-c', 'b', '--', 'sh', '-c', 'echo $WHO']);
    expect(second).toMatchObject({ code: 0, stdout: 'second\n' });
    const first = await kubectl(['exec', 'duo', '-c', 'a', '--', 'sh', '-c', 'echo $WHO']);
    expect(first).toMatchObject({ code: 0, stdout: 'first\n' });
    const wrong = await kubectl(['exec', 'duo', '-c', 'nope', '--', 'true']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('container nope is not valid for pod duo');
  });

  it('says when the pod does not exist', async () => {
    const run = await kubectl(['exec', 'ghost', '--', 'true']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('pods "ghost" not found');
  });

  it('reports a command that is not in the image with its exit code', async () => {
    const run = await kubectl(['exec', 'shell', '--', 'no-such-command']);
    expect(run.code).toBe(127);
    expect(run.stderr).toMatch(/not found/);
  });

  it('kills the command when the client goes away', async () => {
    // kubectl is killed while `sleep 307` runs; the node must end the sleep, not leave it behind.
    const gone = await kubectl(['exec', 'shell', '--', 'sleep', '307'], { killAfterMs: 2000 });
    expect(gone.code).toBeNull();
    const t0 = Date.now();
    await waitFor(
      'the abandoned sleep to end',
      async () => {
        const ps = await kubectl(['exec', 'shell', '--', 'ps']);
        return ps.code === 0 && !ps.stdout.includes('sleep 307') ? true : undefined;
      },
      10_000,
    );
    figures.abandonedCommandEndedMs = Date.now() - t0;
  });

  it('attaches to the output of the container process, which runs on after the client leaves', async () => {
    // Lines written to PID 1's stdout are the container's own output, which attach streams.
    const writer =
      'i=0; while [ $i -lt 40 ]; do echo attached-$i > /proc/1/fd/1; i=$((i+1)); sleep 0.1; done';
    const [attached, wrote] = await Promise.all([
      kubectl(['attach', 'shell', '-c', 'main'], { killAfterMs: 5000 }),
      kubectl(['exec', 'shell', '--', 'sh', '-c', writer]),
    ]);
    expect(wrote.code, wrote.stderr).toBe(0);
    // Killed while attached (attach runs until the container ends), having seen the last lines.
    expect(attached.code, attached.stderr).toBeNull();
    expect(attached.stdout).toMatch(/^(attached-\d+\n)+$/);
    expect(attached.stdout).toContain('attached-39\n');
    const after = await kubectl(['exec', 'shell', '--', 'true']);
    expect(after.code, after.stderr).toBe(0);
  });
});

describe('kubectl exec (1.27, SPDY/3.1) through the same path', () => {
  const old = { binary: kubectl127 };

  it('runs a command, keeps the streams apart and exits with its code', async () => {
    expect(await kubectl(['exec', 'shell', '--', 'echo', 'hi'], old)).toMatchObject({
      code: 0,
      stdout: 'hi\n',
    });
    const failed = await kubectl(['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2; exit 4'], old);
    expect(failed).toMatchObject({ code: 4, stdout: 'out\n' });
    expect(failed.stderr).toContain('err\n');
  });

  it('pipes more stdin than one SPDY window and carries megabytes of output', async () => {
    const data = Buffer.alloc(300_000, 'k');
    const echoed = await kubectl(['exec', '-i', 'duo', '-c', 'a', '--', 'wc', '-c'], { ...old, input: data });
    expect(echoed).toMatchObject({ code: 0 });
    expect(echoed.stdout.trim()).toBe('300000');
    const t0 = Date.now();
    const big = await kubectl(
      ['exec', 'shell', '--', 'sh', '-c', 'head -c 4000000 /dev/zero | tr "\\0" y'],
      old,
    );
    figures.spdyFourMegabytesMs = Date.now() - t0;
    expect(big.code).toBe(0);
    expect(big.stdout.length).toBe(4_000_000);
  });

  it('says when the container does not exist', async () => {
    const wrong = await kubectl(['exec', 'duo', '-c', 'nope', '--', 'true'], old);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('container nope is not valid for pod duo');
  });
});

/** Starts `kubectl port-forward pod/web :8080` and resolves with the local port it chose. */
function portForward(binary: string): Promise<{ port: number; child: ChildProcess; log: () => string }> {
  const child = spawn(
    binary,
    [
      ...['--kubeconfig', cluster.up.kubeconfig, '--cache-dir', path.join(cluster.dir, 'kcache'), '-v=6'],
      ...['port-forward', 'pod/web', ':8080'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let log = '';
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`port-forward did not start: ${log}`));
    }, 20_000);
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      const found = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(log);
      if (found) {
        clearTimeout(guard);
        resolve({ port: Number(found[1]), child, log: () => log });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('error', reject);
  });
}

describe('kubectl port-forward through the API to the pod node', () => {
  for (const [version, binary, transport] of [
    ['1.33', kubectl133, 'WebSocket-tunnelled SPDY'],
    ['1.27', kubectl127, 'SPDY'],
  ] as const) {
    it(`forwards local connections to the pod (kubectl ${version}, ${transport})`, async () => {
      const forward = await portForward(binary);
      try {
        for (let i = 0; i < 3; i++) {
          const t0 = Date.now();
          const reply = await fetch(`http://127.0.0.1:${forward.port}/`, {
            signal: AbortSignal.timeout(10_000),
          });
          figures[`portForwardRequest${version}Ms`] ??= Date.now() - t0;
          expect(reply.status).toBe(200);
          expect((await reply.text()).trim()).toBe(PAGE);
        }
        // 1.33 tries the WebSocket first and falls back to SPDY only when it is refused.
        if (version === '1.33') expect(forward.log()).not.toContain('fallback to secondary dialer');
      } finally {
        forward.child.kill('SIGKILL');
      }
    });
  }
});
