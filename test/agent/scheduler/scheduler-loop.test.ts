import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../agent/src/api/index.ts';
import type { ClusterEvent, ClusterSource } from '../../../agent/src/scheduler/cluster-events.ts';
import { type BindOutcome, Scheduler, type SchedulerEvent } from '../../../agent/src/scheduler/scheduler.ts';
import { bound, node, pod } from './fixtures.ts';

/** A stand-in for the store: a watch source, and a bind that writes spec.nodeName and echoes the change. */
function fakeCluster(opts: { failBinds?: number } = {}) {
  let sink: ((e: ClusterEvent) => void) | undefined;
  const events: SchedulerEvent[] = [];
  const binds: [string, string][] = [];
  let failures = opts.failBinds ?? 0;
  const source: ClusterSource = {
    subscribe: (s) => {
      sink = s;
    },
  };
  const emit = (e: ClusterEvent) => sink?.(e);
  const effects = {
    bind: async (p: Pod, nodeName: string): Promise<BindOutcome> => {
      await new Promise((r) => setTimeout(r, 1));
      if (failures > 0) {
        failures--;
        return {
          kind: 'Conflict',
          message: 'the object has been modified; please apply your changes to the latest version',
        };
      }
      binds.push([p.metadata.name!, nodeName]);
      emit({ kind: 'Pod', type: 'MODIFIED', object: bound(p, nodeName) });
      return undefined;
    },
    recordEvent: (e: SchedulerEvent) => events.push(e),
  };
  return { source, effects, emit, events, binds };
}

async function until(cond: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('scheduler loop', () => {
  it('binds pending pods through the injected effect and records Scheduled events', async () => {
    const c = fakeCluster();
    const s = new Scheduler({ source: c.source, effects: c.effects, seed: 3 });
    const ac = new AbortController();
    const running = s.run(ac.signal);
    c.emit({ kind: 'Node', type: 'ADDED', object: node('n1') });
    c.emit({ kind: 'Node', type: 'ADDED', object: node('n2') });
    for (let i = 0; i < 6; i++)
      c.emit({ kind: 'Pod', type: 'ADDED', object: pod(`w${i}`, { owner: 'web', cpu: '100m' }) });
    await until(() => c.binds.length === 6);
    expect(new Set(c.binds.map(([, n]) => n))).toEqual(new Set(['n1', 'n2']));
    expect(c.events.filter((e) => e.reason === 'Scheduled')).toHaveLength(6);
    expect(c.events[0]?.message).toMatch(/^Successfully assigned default\/w\d to n[12]$/);
    expect(s.cache.nodeInfo('n1')!.pods.size + s.cache.nodeInfo('n2')!.pods.size).toBe(6);
    ac.abort();
    await running;
  });

  it('stops at once when leadership is lost, even while idle or with work queued', async () => {
    const c = fakeCluster();
    const s = new Scheduler({ source: c.source, effects: c.effects });
    const ac = new AbortController();
    const running = s.run(ac.signal);
    c.emit({ kind: 'Node', type: 'ADDED', object: node('n1') });
    await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    ac.abort();
    await running;
    expect(Date.now() - t0).toBeLessThan(50);
    c.emit({ kind: 'Pod', type: 'ADDED', object: pod('late') });
    await new Promise((r) => setTimeout(r, 10));
    expect(c.binds).toEqual([]);
    expect(s.scheduleNext()).toBe(false);
  });

  it('reports FailedScheduling with the reasons and places the pod when a node joins', async () => {
    const c = fakeCluster();
    const s = new Scheduler({
      source: c.source,
      effects: c.effects,
      queue: { initialBackoffMs: 5, maxBackoffMs: 20 },
    });
    const ac = new AbortController();
    const running = s.run(ac.signal);
    c.emit({ kind: 'Node', type: 'ADDED', object: node('small', { cpu: '1' }) });
    c.emit({ kind: 'Pod', type: 'ADDED', object: pod('big', { cpu: '2' }) });
    await until(() => c.events.some((e) => e.reason === 'FailedScheduling'));
    expect(c.events[0]).toMatchObject({
      type: 'Warning',
      reason: 'FailedScheduling',
      message: '0/1 nodes are available: 1 Insufficient cpu.',
    });
    await new Promise((r) => setTimeout(r, 30));
    // Unschedulable pods wait for a change, not a timer: no retry storm.
    expect(c.events.filter((e) => e.reason === 'FailedScheduling')).toHaveLength(1);
    c.emit({ kind: 'Node', type: 'ADDED', object: node('large', { cpu: '4' }) });
    await until(() => c.binds.length === 1);
    expect(c.binds).toEqual([['big', 'large']]);
    ac.abort();
    await running;
  });

  it('forgets the assumption and retries after back-off when a binding fails', async () => {
    const c = fakeCluster({ failBinds: 2 });
    const s = new Scheduler({
      source: c.source,
      effects: c.effects,
      queue: { initialBackoffMs: 5, maxBackoffMs: 20 },
    });
    const ac = new AbortController();
    const running = s.run(ac.signal);
    c.emit({ kind: 'Node', type: 'ADDED', object: node('n1', { cpu: '1' }) });
    c.emit({ kind: 'Pod', type: 'ADDED', object: pod('p', { cpu: '1' }) });
    await until(() => c.binds.length === 1);
    expect(s.stats.bindFailures).toBe(2);
    expect(
      c.events.filter((e) => e.message.startsWith('Binding rejected: the object has been modified')),
    ).toHaveLength(2);
    // The failed attempts left no phantom request behind.
    expect(s.cache.nodeInfo('n1')!.requested.cpu).toBe(1000);
    ac.abort();
    await running;
  });

  it('leaves pods of other schedulers and pods deleted while pending alone', async () => {
    const c = fakeCluster();
    const s = new Scheduler({ source: c.source, effects: c.effects });
    s.handle({ kind: 'Node', type: 'ADDED', object: node('n1') });
    s.handle({
      kind: 'Pod',
      type: 'ADDED',
      object: pod('other', { spec: { schedulerName: 'my-scheduler' } }),
    });
    const gone = pod('gone');
    s.handle({ kind: 'Pod', type: 'ADDED', object: gone });
    s.handle({ kind: 'Pod', type: 'DELETED', object: gone });
    expect(s.scheduleNext()).toBe(false);
  });
});
