import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import type {
  ObservedPod,
  ProbeOutcomes,
  RuntimeContainer,
} from '../../../agent/src/kubelet/observed-pod.ts';
import { noProbeOutcomes } from '../../../agent/src/kubelet/observed-pod.ts';
import { computePodActions } from '../../../agent/src/kubelet/pod-actions.ts';
import { backOffPolicy, restartDelayMs } from '../../../agent/src/kubelet/restart-backoff.ts';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const policy = backOffPolicy(10_000, 300_000);
const sandbox = { id: 'sb1', ready: true, ip: '10.88.0.5', createdAt: new Date(NOW - 60_000) };

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
    runtimeName: `${name}_${attempt}`,
    sandboxId: 'sb1',
    state,
    exitCode: state === 'exited' ? 1 : undefined,
    startedAt: new Date(NOW - 30_000),
    finishedAt: state === 'exited' ? new Date(NOW - 1_000) : undefined,
    oomKilled: false,
    reason: undefined,
    message: undefined,
    labels: {},
    image: 'img',
    imageId: 'sha',
    attempt,
    ...extra,
  };
}

const plan = (p: Pod, observed: ObservedPod, probes: ProbeOutcomes = noProbeOutcomes, now = NOW) =>
  computePodActions({ pod: p, observed, probes, backOff: policy, now });

describe('computePodActions', () => {
  it('creates the sandbox first, then starts every app container', () => {
    expect(plan(pod(), { sandbox: undefined, containers: [] }).actions).toEqual([{ type: 'createSandbox' }]);
    const p = pod({
      containers: [
        { name: 'a', image: 'i' },
        { name: 'b', image: 'i' },
      ],
    });
    expect(plan(p, { sandbox, containers: [] }).actions).toEqual([
      { type: 'startContainer', container: 'a', init: false, attempt: 0 },
      { type: 'startContainer', container: 'b', init: false, attempt: 0 },
    ]);
  });

  it('replaces a dead sandbox', () => {
    const actions = plan(pod(), {
      sandbox: { ...sandbox, ready: false },
      containers: [run('app', 0, 'running')],
    }).actions;
    expect(actions.map((a) => a.type)).toEqual(['removeSandbox', 'createSandbox']);
  });

  it('runs init containers one at a time, in order, before any app container', () => {
    const p = pod({
      initContainers: [
        { name: 'i1', image: 'x' },
        { name: 'i2', image: 'x' },
      ],
    });
    expect(plan(p, { sandbox, containers: [] }).actions).toEqual([
      { type: 'startContainer', container: 'i1', init: true, attempt: 0 },
    ]);
    expect(plan(p, { sandbox, containers: [run('i1', 0, 'running')] }).actions).toEqual([]);
    const i1done = run('i1', 0, 'exited', { exitCode: 0 });
    expect(plan(p, { sandbox, containers: [i1done] }).actions).toEqual([
      { type: 'startContainer', container: 'i2', init: true, attempt: 0 },
    ]);
    const i2done = run('i2', 0, 'exited', { exitCode: 0 });
    expect(plan(p, { sandbox, containers: [i1done, i2done] }).actions).toEqual([
      { type: 'startContainer', container: 'app', init: false, attempt: 0 },
    ]);
  });

  it('a failed init container is retried with back-off, except under restartPolicy Never', () => {
    const p = pod({ initContainers: [{ name: 'i1', image: 'x' }] });
    const failed = run('i1', 0, 'exited', { exitCode: 3 });
    expect(plan(p, { sandbox, containers: [failed] }).actions).toEqual([
      { type: 'startContainer', container: 'i1', init: true, attempt: 1 },
    ]);
    const never = pod({ initContainers: [{ name: 'i1', image: 'x' }], restartPolicy: 'Never' });
    expect(plan(never, { sandbox, containers: [failed] }).actions).toEqual([
      { type: 'stopSandbox', sandboxId: 'sb1' },
    ]);
  });

  it('restarts by policy: Always always, OnFailure on non-zero exits, Never never', () => {
    const ok = run('app', 0, 'exited', { exitCode: 0 });
    const bad = run('app', 0, 'exited', { exitCode: 2 });
    const start = { type: 'startContainer', container: 'app', init: false, attempt: 1 };
    expect(plan(pod(), { sandbox, containers: [ok] }).actions).toEqual([start]);
    expect(plan(pod({ restartPolicy: 'OnFailure' }), { sandbox, containers: [bad] }).actions).toEqual([
      start,
    ]);
    expect(plan(pod({ restartPolicy: 'OnFailure' }), { sandbox, containers: [ok] }).actions).toEqual([
      { type: 'stopSandbox', sandboxId: 'sb1' },
    ]);
    expect(plan(pod({ restartPolicy: 'Never' }), { sandbox, containers: [bad] }).actions).toEqual([
      { type: 'stopSandbox', sandboxId: 'sb1' },
    ]);
  });

  it('backs off exponentially: immediate, then 10 s, 20 s, 40 s ... capped at 5 min', () => {
    expect([0, 1, 2, 3, 6, 12].map((a) => restartDelayMs(policy, a, undefined, undefined))).toEqual([
      0, 10_000, 20_000, 40_000, 300_000, 300_000,
    ]);
    // A run that lasted longer than twice the cap restarts at once.
    expect(restartDelayMs(policy, 5, new Date(0), new Date(700_000))).toBe(0);
    const third = run('app', 2, 'exited'); // finished 1 s ago, its delay is 20 s
    const p = plan(pod(), { sandbox, containers: [third, run('app', 1, 'exited')] });
    expect(p.actions).toEqual([]);
    expect(p.backOffs.get('app')).toEqual({ until: NOW - 1000 + 20_000, delayMs: 20_000 });
    expect(p.wakeAt).toBe(NOW + 19_000);
    const later = plan(pod(), { sandbox, containers: [third] }, noProbeOutcomes, NOW + 19_000);
    expect(later.actions).toEqual([{ type: 'startContainer', container: 'app', init: false, attempt: 3 }]);
  });

  it('kills a container whose liveness or startup probe failed', () => {
    const p = pod({
      containers: [{ name: 'app', image: 'i', livenessProbe: { exec: { command: ['true'] } } }],
    });
    const live = run('app', 0, 'running');
    const probes: ProbeOutcomes = {
      ...noProbeOutcomes,
      liveness: new Map([['app-0', { result: 'failure', message: 'exit 1' }]]),
    };
    expect(plan(p, { sandbox, containers: [live] }, probes).actions).toEqual([
      {
        type: 'killContainer',
        container: 'app',
        containerId: 'app-0',
        reason: 'LivenessProbeFailed',
        message: 'exit 1',
      },
    ]);
    // A readiness failure never kills.
    const ready: ProbeOutcomes = {
      ...noProbeOutcomes,
      readiness: new Map([['app-0', { result: 'failure' }]]),
    };
    expect(plan(p, { sandbox, containers: [live] }, ready).actions).toEqual([]);
  });

  it('keeps the current and the previous run and removes older ones', () => {
    const runs = [
      run('app', 3, 'running'),
      run('app', 2, 'exited'),
      run('app', 1, 'exited'),
      run('app', 0, 'exited'),
    ];
    expect(plan(pod(), { sandbox, containers: runs }).actions).toEqual([
      { type: 'removeContainer', containerId: 'app-1' },
      { type: 'removeContainer', containerId: 'app-0' },
    ]);
  });

  it('starts a fresh run in place of one that was created but never started', () => {
    expect(plan(pod(), { sandbox, containers: [run('app', 0, 'created')] }).actions).toEqual([
      { type: 'startContainer', container: 'app', init: false, attempt: 0, replaces: 'app-0' },
    ]);
  });

  it('leaves a finished pod with a stopped sandbox alone', () => {
    const done = run('app', 0, 'exited', { exitCode: 0 });
    expect(
      plan(pod({ restartPolicy: 'Never' }), { sandbox: { ...sandbox, ready: false }, containers: [done] })
        .actions,
    ).toEqual([]);
  });
});
