/** Restarts, probes, OOM and bad specs, on real podman. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigMap } from '../../../agent/src/api/types/core.ts';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import { backOffPolicy } from '../../../agent/src/kubelet/restart-backoff.ts';
import { CONFIGMAPS, podReady, running, sh, startTestNode, type TestNode } from './harness.ts';

let node: TestNode;

beforeAll(async () => {
  node = await startTestNode('restarts', { backOff: backOffPolicy(1500, 6000) });
  await node.kubelet.start();
}, 120_000);

afterAll(async () => {
  await node?.cleanup();
}, 120_000);

const status = (p: Pod, name: string) =>
  [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find(
    (c) => c.name === name,
  );
const waiting = (name: string, reason: string) => (p: Pod) =>
  status(p, name)?.state?.waiting?.reason === reason;

describe('restarts and probes', () => {
  it('a crashing container restarts with growing back-off and shows CrashLoopBackOff', async () => {
    node.createPod('crasher', { containers: [{ name: 'app', ...sh('echo crashing; exit 3') }] });
    const restartSeenAt = new Map<number, number>();
    const backOffMessages = new Set<string>();
    await node.waitForPod(
      'crasher',
      'restartCount 3',
      (p) => {
        const s = status(p, 'app');
        const count = s?.restartCount ?? 0;
        if (!restartSeenAt.has(count)) restartSeenAt.set(count, Date.now());
        if (s?.state?.waiting?.reason === 'CrashLoopBackOff')
          backOffMessages.add(/back-off \d+s/.exec(s.state.waiting.message ?? '')?.[0] ?? '');
        return count >= 3;
      },
      40_000,
    );
    // The waits grow: 1.5 s (shown rounded as 2s) after the second run, 3 s after the third.
    // (The next wait, 6 s, may already show before the third restart count does.)
    expect([...backOffMessages].slice(0, 2)).toEqual(['back-off 2s', 'back-off 3s']);
    const seconds = [...backOffMessages].map((m) => Number(/\d+/.exec(m)?.[0]));
    expect(seconds).toEqual([...seconds].sort((x, y) => x - y));
    const p = node.pod('crasher') as Pod;
    expect(p.status?.phase).toBe('Running');
    expect(status(p, 'app')?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    // Each restart comes at least its delay after the one before (scheduling on a busy box adds more).
    const gap2 = (restartSeenAt.get(2) ?? 0) - (restartSeenAt.get(1) ?? 0);
    const gap3 = (restartSeenAt.get(3) ?? 0) - (restartSeenAt.get(2) ?? 0);
    expect(gap2).toBeGreaterThanOrEqual(1400);
    expect(gap3).toBeGreaterThanOrEqual(2900);
    expect(node.events('crasher').some((e) => e.reason === 'BackOff')).toBe(true);
    const previous: string[] = [];
    for await (const line of node.kubelet.podLogs({ namespace: 'default', name: 'crasher', previous: true }))
      previous.push(line);
    expect(previous).toEqual(['crashing']);
    // Only the current and the previous run are kept.
    const runs = await node.runtime.listContainers({ 'io.kedge.pod.uid': p.metadata.uid ?? '' });
    expect(runs.length).toBeLessThanOrEqual(2);
  });

  it('a failing liveness probe restarts the container', async () => {
    node.createPod('unhealthy', {
      containers: [
        {
          name: 'app',
          ...sh('touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 3600'),
          livenessProbe: {
            exec: { command: ['test', '-f', '/tmp/healthy'] },
            periodSeconds: 1,
            // `podman exec` alone can take over a second on a loaded machine; the test is about the
            // probe's verdict (exit 1), not its timeout.
            timeoutSeconds: 5,
            failureThreshold: 2,
          },
        },
      ],
    });
    const p = await node.waitForPod(
      'unhealthy',
      'a liveness restart',
      (x) => (status(x, 'app')?.restartCount ?? 0) >= 1,
      30_000,
    );
    expect(status(p, 'app')?.lastState?.terminated?.exitCode).toBe(137);
    const killing = node.events('unhealthy').find((e) => e.reason === 'Killing');
    expect(killing?.message).toContain('["test","-f","/tmp/healthy"] exited 1');
  });

  it('a failing readiness probe keeps the pod out of Ready; a passing one lets it in', async () => {
    node.createPod('not-ready', {
      containers: [
        {
          name: 'app',
          ...sh('sleep 3600'),
          readinessProbe: { httpGet: { port: 8080, path: '/' }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    });
    node.createPod('ready', {
      containers: [
        {
          name: 'web',
          ...sh('echo ok > /www/index.html; exec httpd -f -p 80 -h /www'),
          readinessProbe: { httpGet: { port: 80, path: '/' }, periodSeconds: 1 },
          livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 },
        },
      ],
    });
    await node.waitForPod('ready', 'Ready', podReady, 20_000);
    const p = await node.waitForPod(
      'not-ready',
      'a readiness failure reported',
      (x) => (x.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '').includes('ECONNREFUSED'),
      20_000,
    );
    expect(p.status?.phase).toBe('Running');
    expect(podReady(p)).toBe(false);
    expect(status(p, 'app')?.ready).toBe(false);
    expect(status(p, 'app')?.restartCount).toBe(0);
  });

  it('a startup probe holds liveness back until it passes, and restarts a container that never starts', async () => {
    // podman exec alone can take over a second on a loaded 2-core box: give the probes room.
    const check = { exec: { command: ['test', '-f', '/tmp/up'] }, periodSeconds: 1, timeoutSeconds: 5 };
    node.createPod('slow-start', {
      containers: [
        {
          name: 'app',
          ...sh('sleep 2; touch /tmp/up; sleep 3600'),
          startupProbe: { ...check, failureThreshold: 15 },
          livenessProbe: { ...check, failureThreshold: 1 },
        },
      ],
    });
    node.createPod('never-starts', {
      containers: [{ name: 'app', ...sh('sleep 3600'), startupProbe: { ...check, failureThreshold: 2 } }],
    });
    const slow = await node.waitForPod(
      'slow-start',
      'started and Ready',
      (x) => status(x, 'app')?.started === true && podReady(x),
      30_000,
    );
    expect(status(slow, 'app')?.restartCount).toBe(0);
    await node.waitForPod(
      'never-starts',
      'a startup restart',
      (x) => (status(x, 'app')?.restartCount ?? 0) >= 1,
      30_000,
    );
    expect(node.events('never-starts').find((e) => e.reason === 'Killing')?.message).toContain('exited 1');
  });

  it('a container over its memory limit is reported OOMKilled', async () => {
    node.createPod('hog', {
      containers: [
        {
          name: 'app',
          ...sh('exec dd if=/dev/zero of=/dev/null bs=200M count=1'),
          resources: { limits: { memory: '32Mi' } },
        },
      ],
    });
    const p = await node.waitForPod(
      'hog',
      'OOMKilled',
      (x) => {
        const s = status(x, 'app');
        return (
          s?.lastState?.terminated?.reason === 'OOMKilled' || s?.state?.terminated?.reason === 'OOMKilled'
        );
      },
      30_000,
    );
    expect(
      status(p, 'app')?.lastState?.terminated?.exitCode ?? status(p, 'app')?.state?.terminated?.exitCode,
    ).toBe(137);
  });
});

describe('bad specs give a clear reason and never break the kubelet', () => {
  it('a missing image: ErrImageNeverPull with Never, ErrImagePull with IfNotPresent', async () => {
    node.createPod('never-pull', {
      containers: [{ name: 'app', image: 'localhost/kedge/missing:1', imagePullPolicy: 'Never' }],
    });
    node.createPod('if-not-present', {
      containers: [{ name: 'app', image: 'localhost/kedge/missing:2', imagePullPolicy: 'IfNotPresent' }],
    });
    const never = await node.waitForPod(
      'never-pull',
      'ErrImageNeverPull',
      waiting('app', 'ErrImageNeverPull'),
    );
    expect(status(never, 'app')?.state?.waiting?.message).toContain(
      '"localhost/kedge/missing:1" is not present with pull policy of Never',
    );
    const pull = await node.waitForPod(
      'if-not-present',
      'ErrImagePull',
      waiting('app', 'ErrImagePull'),
      60_000,
    );
    expect(status(pull, 'app')?.state?.waiting?.message).toContain('cannot pull localhost/kedge/missing:2');
    expect(never.status?.phase).toBe('Pending');
  });

  it('an unknown configMap volume waits with the mount failure, and starts once the ConfigMap exists', async () => {
    node.createPod('ghost-volume', {
      containers: [
        { name: 'app', ...sh('cat /cfg/k; sleep 3600'), volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] },
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'ghost' } }],
    });
    const p = await node.waitForPod('ghost-volume', 'a mount failure', (x) =>
      (status(x, 'app')?.state?.waiting?.message ?? '').includes('configmap "ghost" not found'),
    );
    expect(status(p, 'app')?.state?.waiting?.reason).toBe('ContainerCreating');
    expect(node.events('ghost-volume').some((e) => e.reason === 'FailedMount')).toBe(true);
    node.create<ConfigMap>(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ghost', namespace: 'default' },
      data: { k: 'v' },
    });
    await node.waitForPod('ghost-volume', 'running once the ConfigMap exists', running('app'), 20_000);
  });

  it('a missing Secret key in env is a CreateContainerConfigError; a probe on an undeclared port says so', async () => {
    node.createPod('bad-env', {
      containers: [
        {
          name: 'app',
          ...sh('sleep 3600'),
          env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }],
        },
      ],
    });
    node.createPod('bad-probe', {
      containers: [
        {
          name: 'app',
          ...sh('sleep 3600'),
          readinessProbe: { httpGet: { port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    });
    const env = await node.waitForPod(
      'bad-env',
      'CreateContainerConfigError',
      waiting('app', 'CreateContainerConfigError'),
    );
    expect(status(env, 'app')?.state?.waiting?.message).toContain('secret "nope" not found');
    const probe = await node.waitForPod('bad-probe', 'the probe error', (x) =>
      (x.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '').includes(
        'port "http" is not a named port',
      ),
    );
    expect(running('app')(probe)).toBe(true);
    node.createPod('host-net', { hostNetwork: true, containers: [{ name: 'app', ...sh('sleep 3600') }] });
    const hostNet = await node.waitForPod(
      'host-net',
      'the unsupported reason',
      waiting('app', 'CreateContainerConfigError'),
    );
    expect(status(hostNet, 'app')?.state?.waiting?.message).toContain(
      'hostNetwork is not supported by kedge yet',
    );
    expect(await node.runtime.listPodSandboxes({ 'io.kedge.pod.uid': hostNet.metadata.uid ?? '' })).toEqual(
      [],
    );
    // The kubelet still runs new pods.
    node.createPod('after-bad', { containers: [{ name: 'app', ...sh('sleep 3600') }] });
    await node.waitForPod('after-bad', 'running', running('app'));
  });
});
