import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notFound } from '../../../agent/src/api/errors.ts';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import { writeAtomically } from '../../../agent/src/kubelet/atomic-writer.ts';
import { containerEnv, expandVariables } from '../../../agent/src/kubelet/container-env.ts';
import { buildNodeStatus } from '../../../agent/src/kubelet/node-status.ts';
import { noProbeOutcomes, type RuntimeContainer } from '../../../agent/src/kubelet/observed-pod.ts';
import { generatePodStatus, type PodStatusInput } from '../../../agent/src/kubelet/pod-status.ts';
import { projectKeys } from '../../../agent/src/kubelet/pod-volumes.ts';
import { foldProbeAttempt } from '../../../agent/src/kubelet/prober.ts';

const NOW = new Date('2026-01-01T00:10:00Z');
const sandbox = { id: 'sb1', ready: true, ip: '10.88.0.5', createdAt: new Date('2026-01-01T00:00:00Z') };

function pod(spec: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { containers: [{ name: 'app', image: 'img' }], restartPolicy: 'Always', ...spec },
  };
}

function run(
  name: string,
  attempt: number,
  state: RuntimeContainer['state'],
  extra: Partial<RuntimeContainer> = {},
): RuntimeContainer {
  return {
    id: `${name}-${attempt}`,
    name,
    runtimeName: name,
    sandboxId: 'sb1',
    state,
    exitCode: state === 'exited' ? 1 : undefined,
    startedAt: new Date('2026-01-01T00:01:00Z'),
    finishedAt: state === 'exited' ? new Date('2026-01-01T00:02:00Z') : undefined,
    oomKilled: false,
    reason: state === 'exited' ? 'Error' : undefined,
    message: undefined,
    labels: {},
    image: 'img',
    imageId: 'sha256:abc',
    attempt,
    ...extra,
  };
}

function input(p: Pod, containers: RuntimeContainer[], extra: Partial<PodStatusInput> = {}): PodStatusInput {
  return {
    pod: p,
    observed: { sandbox, containers },
    probes: noProbeOutcomes,
    backOffs: new Map(),
    problems: new Map(),
    hostIP: '127.0.0.1',
    now: NOW,
    ...extra,
  };
}

const cond = (s: ReturnType<typeof generatePodStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe('generatePodStatus', () => {
  it('a running pod with no probes is Running and Ready, with its IPs and start time', () => {
    const s = generatePodStatus(input(pod(), [run('app', 0, 'running')]));
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('10.88.0.5');
    expect(s.hostIP).toBe('127.0.0.1');
    expect(s.startTime).toBe('2026-01-01T00:00:00Z');
    expect(cond(s, 'Ready')?.status).toBe('True');
    expect(cond(s, 'PodScheduled')?.status).toBe('True');
    expect(s.containerStatuses?.[0]).toMatchObject({
      ready: true,
      started: true,
      restartCount: 0,
      containerID: 'podman://app-0',
      state: { running: { startedAt: '2026-01-01T00:01:00Z' } },
    });
  });

  it('a crash-looping container waits in CrashLoopBackOff with its last exit in lastState', () => {
    const s = generatePodStatus(
      input(
        pod(),
        [run('app', 2, 'exited', { exitCode: 137, reason: 'OOMKilled' }), run('app', 1, 'exited')],
        {
          backOffs: new Map([['app', { until: 0, delayMs: 20_000 }]]),
        },
      ),
    );
    const c = s.containerStatuses?.[0];
    expect(c?.restartCount).toBe(2);
    expect(c?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(c?.state?.waiting?.message).toContain('back-off 20s');
    expect(c?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(s.phase).toBe('Running');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
  });

  it('readiness gates Ready and the condition says why', () => {
    const p = pod({ containers: [{ name: 'app', image: 'i', readinessProbe: { httpGet: { port: 80 } } }] });
    const unknown = generatePodStatus(input(p, [run('app', 0, 'running')]));
    expect(cond(unknown, 'Ready')?.status).toBe('False');
    const failing = generatePodStatus(
      input(p, [run('app', 0, 'running')], {
        probes: {
          ...noProbeOutcomes,
          readiness: new Map([
            ['app-0', { result: 'failure', message: 'HTTP probe failed with statuscode: 500' }],
          ]),
        },
      }),
    );
    expect(cond(failing, 'ContainersReady')?.message).toContain('statuscode: 500');
    const ok = generatePodStatus(
      input(p, [run('app', 0, 'running')], {
        probes: { ...noProbeOutcomes, readiness: new Map([['app-0', { result: 'success' }]]) },
      }),
    );
    expect(cond(ok, 'Ready')?.status).toBe('True');
  });

  it('phases: Pending while initialising, Succeeded and Failed when done for good', () => {
    const init = pod({ initContainers: [{ name: 'i', image: 'x' }] });
    const s = generatePodStatus(input(init, [run('i', 0, 'running')]));
    expect(s.phase).toBe('Pending');
    expect(cond(s, 'Initialized')).toMatchObject({
      status: 'False',
      message: 'containers with incomplete status: [i]',
    });
    expect(s.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
    const done = run('app', 0, 'exited', { exitCode: 0, reason: 'Completed' });
    expect(generatePodStatus(input(pod({ restartPolicy: 'Never' }), [done])).phase).toBe('Succeeded');
    expect(generatePodStatus(input(pod({ restartPolicy: 'Never' }), [run('app', 0, 'exited')])).phase).toBe(
      'Failed',
    );
    expect(
      generatePodStatus(input(pod({ restartPolicy: 'OnFailure' }), [run('app', 0, 'exited')])).phase,
    ).toBe('Running');
    const never = pod({ restartPolicy: 'Never', initContainers: [{ name: 'i', image: 'x' }] });
    expect(generatePodStatus(input(never, [run('i', 0, 'exited')])).phase).toBe('Failed');
  });

  it('a container that cannot start shows the problem as its waiting reason', () => {
    const s = generatePodStatus(
      input(pod(), [], {
        problems: new Map([['app', { reason: 'ErrImageNeverPull', message: 'not present' }]]),
      }),
    );
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses?.[0]?.state?.waiting).toEqual({
      reason: 'ErrImageNeverPull',
      message: 'not present',
    });
  });

  it('keeps lastTransitionTime while a condition holds', () => {
    const first = generatePodStatus(input(pod(), [run('app', 0, 'running')]));
    const later = generatePodStatus({
      ...input({ ...pod(), status: first }, [run('app', 0, 'running')]),
      now: new Date('2026-01-01T01:00:00Z'),
    });
    expect(cond(later, 'Ready')?.lastTransitionTime).toBe('2026-01-01T00:10:00Z');
  });
});

describe('container environment', () => {
  const lookup = {
    configMap: async (_ns: string, name: string) =>
      name === 'cfg'
        ? { metadata: { name }, data: { MODE: 'fast', LEVEL: '3' } }
        : notFound('configmaps', name),
    secret: async (_ns: string, name: string) =>
      name === 'sec'
        ? { metadata: { name }, data: { PASSWORD: Buffer.from('hunter2').toString('base64') } }
        : notFound('secrets', name),
  };
  const facts = {
    podIP: '10.88.0.9',
    hostIP: '127.0.0.1',
    clusterEnv: { KUBERNETES_SERVICE_HOST: '10.0.0.1' },
  };

  it('resolves envFrom, valueFrom, fieldRef and $(VAR) in order', async () => {
    const p = pod();
    const out = await containerEnv(
      p,
      {
        name: 'app',
        envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
        env: [
          { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'PASSWORD' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'URL', value: 'http://$(IP):80/$(NOPE)/$$' },
        ],
      },
      facts,
      lookup,
    );
    expect(out).toEqual({
      env: {
        KUBERNETES_SERVICE_HOST: '10.0.0.1',
        CFG_MODE: 'fast',
        CFG_LEVEL: '3',
        PW: 'hunter2',
        POD: 'p',
        IP: '10.88.0.9',
        URL: 'http://10.88.0.9:80/$(NOPE)/$',
      },
    });
    expect(expandVariables('$(A)$(B)', { A: 'x' })).toBe('x$(B)');
  });

  it('a missing ConfigMap or key is a CreateContainerConfigError unless optional', async () => {
    const missing = await containerEnv(
      pod(),
      { name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k' } } }] },
      facts,
      lookup,
    );
    expect(missing).toEqual({
      problem: {
        reason: 'CreateContainerConfigError',
        message: expect.stringContaining('configmap "gone" not found'),
      },
    });
    const noKey = await containerEnv(
      pod(),
      { name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] },
      facts,
      lookup,
    );
    expect(noKey).toMatchObject({ problem: { message: expect.stringContaining("couldn't find key k") } });
    const optional = await containerEnv(
      pod(),
      {
        name: 'a',
        env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k', optional: true } } }],
      },
      facts,
      lookup,
    );
    expect(optional).toEqual({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } });
  });
});

describe('projected files', () => {
  it('projects every key or only the items, and refuses paths out of the volume', () => {
    expect(projectKeys({ a: '1', b: '2' }, undefined, 0o600)).toEqual([
      { path: 'a', content: '1', mode: 0o600 },
      { path: 'b', content: '2', mode: 0o600 },
    ]);
    expect(projectKeys({ a: '1' }, [{ key: 'a', path: 'dir/x', mode: 0o400 }], 0o644)).toEqual([
      { path: 'dir/x', content: '1', mode: 0o400 },
    ]);
    expect(projectKeys({ a: '1' }, [{ key: 'z', path: 'z' }], 0o644)).toBe('key "z" not found');
    expect(projectKeys({ a: '1' }, [{ key: 'a', path: '../../etc/passwd' }], 0o644)).toContain(
      'leaves the volume',
    );
  });

  it('swaps ..data atomically and removes keys that went away', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kedge-atomic-'));
    try {
      await writeAtomically(dir, [
        { path: 'a', content: 'one', mode: 0o644 },
        { path: 'b', content: 'two', mode: 0o644 },
      ]);
      const first = await readlink(join(dir, '..data'));
      expect(await readFile(join(dir, 'a'), 'utf8')).toBe('one');
      await writeAtomically(dir, [{ path: 'a', content: 'uno', mode: 0o644 }]);
      expect(await readFile(join(dir, 'a'), 'utf8')).toBe('uno');
      expect(await readlink(join(dir, 'a'))).toBe('..data/a');
      const entries = await readdir(dir);
      expect(entries).not.toContain('b');
      expect(entries).not.toContain(first);
      expect(entries.filter((e) => e.startsWith('..')).length).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('probe thresholds', () => {
  it('flips only after failureThreshold failures and successThreshold successes', () => {
    const probe = { failureThreshold: 2, successThreshold: 2 };
    let s = { outcome: undefined, successes: 0, failures: 0 } as Parameters<typeof foldProbeAttempt>[0];
    s = foldProbeAttempt(s, { result: 'success' }, probe);
    expect(s.outcome).toBeUndefined();
    s = foldProbeAttempt(s, { result: 'success' }, probe);
    expect(s.outcome?.result).toBe('success');
    s = foldProbeAttempt(s, { result: 'failure', message: 'x' }, probe);
    expect(s.outcome?.result).toBe('success');
    s = foldProbeAttempt(s, { result: 'failure', message: 'y' }, probe);
    expect(s.outcome).toEqual({ result: 'failure', message: 'y' });
  });
});

describe('node status', () => {
  it('reports capacity, allocatable and pressure conditions from a sample', () => {
    const sample = {
      timestamp: NOW,
      cpuCores: 2,
      cpuModel: 'x',
      cpuUsagePercent: 10,
      cpuUsageCores: 0.2,
      load1: 0,
      load5: 0,
      load15: 0,
      memoryTotalBytes: 4 * 1024 ** 3,
      memoryAvailableBytes: 50 * 1024 ** 2,
      memoryWorkingSetBytes: 0,
      diskPath: '/',
      diskTotalBytes: 100 * 1024 ** 3,
      diskAvailableBytes: 50 * 1024 ** 3,
    };
    const s = buildNodeStatus(
      {
        sample,
        maxPods: 110,
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        kubeletVersion: 'v1',
        containerRuntimeVersion: 'podman://4.3.1',
        osImage: 'Debian',
        kernelVersion: '6',
        architecture: 'amd64',
        runtimeReady: true,
      },
      undefined,
      NOW,
    );
    expect(s.capacity).toEqual({
      cpu: '2',
      memory: '4194304Ki',
      'ephemeral-storage': '104857600Ki',
      pods: '110',
    });
    expect(s.conditions?.find((c) => c.type === 'MemoryPressure')?.status).toBe('True');
    expect(s.conditions?.find((c) => c.type === 'DiskPressure')?.status).toBe('False');
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'KubeletReady',
    });
  });
});
