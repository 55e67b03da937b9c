import { describe, expect, it } from 'vitest';
import { podKey } from '../../../agent/src/scheduler/pod-info.ts';
import { SchedulingQueue } from '../../../agent/src/scheduler/scheduling-queue.ts';
import { pod } from './fixtures.ts';

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const cpu = { unschedulablePlugins: new Set(['NodeResourcesFit'] as const) };

describe('scheduling queue', () => {
  it('pops by priority, then arrival', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    q.add(pod('low-1', { priority: 0 }));
    clock.advance(1);
    q.add(pod('high', { priority: 1000 }));
    clock.advance(1);
    q.add(pod('low-2', { priority: 0 }));
    expect([q.pop(), q.pop(), q.pop()].map((x) => x?.info.name)).toEqual(['high', 'low-1', 'low-2']);
    expect(q.pop()).toBeUndefined();
  });

  it('backs off 1 s, 2 s, 4 s, 8 s, then 10 s', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    q.add(pod('p'));
    let inFlight = q.pop()!;
    const waits: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      q.requeue(inFlight, 'error');
      let waited = 0;
      let next = q.pop();
      while (next === undefined) {
        clock.advance(100);
        waited += 100;
        next = q.pop();
      }
      inFlight = next;
      waits.push(waited);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('computes the doubling back-off exactly', () => {
    const q = new SchedulingQueue({ now: () => 0 });
    expect([1, 2, 3, 4, 5, 6, 20].map((a) => q.backoffDuration(a))).toEqual([
      1000, 2000, 4000, 8000, 10000, 10000, 10000,
    ]);
  });

  it('keeps unschedulable pods until a cluster event that could help, then honours the back-off', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    q.add(pod('p'));
    const popped = q.pop()!;
    q.requeue(popped, cpu);
    expect(q.whereIs(popped.info.key)).toBe('unschedulable');
    clock.advance(20_000);
    expect(q.pop()).toBeUndefined();
    q.onClusterEvent('AssignedPodAdded'); // cannot free cpu
    expect(q.whereIs(popped.info.key)).toBe('unschedulable');
    q.onClusterEvent('AssignedPodDeleted'); // can
    expect(q.whereIs(popped.info.key)).toBe('active');
    expect(q.pop()?.info.name).toBe('p');
  });

  it('a helpful event before the back-off ends moves the pod to backoff, not active', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    q.add(pod('p'));
    const popped = q.pop()!;
    q.requeue(popped, cpu);
    clock.advance(300);
    q.onClusterEvent('NodeAdded');
    expect(q.whereIs(popped.info.key)).toBe('backoff');
    expect(q.nextWakeAt()).toBe(clock.now() + 700);
    clock.advance(699);
    expect(q.pop()).toBeUndefined();
    clock.advance(1);
    expect(q.pop()?.info.name).toBe('p');
  });

  it('an event during the cycle sends the failed pod to backoff instead of waiting forever', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    q.add(pod('p'));
    const popped = q.pop()!;
    q.onClusterEvent('NodeAdded'); // arrives while the pod is being scheduled
    q.requeue(popped, cpu);
    expect(q.whereIs(popped.info.key)).toBe('backoff');
  });

  it('retries a pod the user changed, ignores status-only updates, drops deleted pods', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    const p = pod('p', { cpu: '64' });
    q.add(p);
    q.requeue(q.pop()!, cpu);
    q.add({ ...p, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } });
    expect(q.whereIs(podKey(p))).toBe('unschedulable');
    clock.advance(5_000);
    q.add({ ...p, metadata: { ...p.metadata, generation: 2 } });
    expect(q.whereIs(podKey(p))).toBe('active');
    const inFlight = q.pop()!;
    q.delete(podKey(p));
    q.requeue(inFlight, cpu);
    expect(q.whereIs(podKey(p))).toBeUndefined();
  });

  it('retries unschedulable pods after five minutes without any event', () => {
    const clock = fakeClock();
    const q = new SchedulingQueue({ now: clock.now });
    q.add(pod('p'));
    q.requeue(q.pop()!, cpu);
    clock.advance(4 * 60_000);
    expect(q.pop()).toBeUndefined();
    clock.advance(60_000 + 30_000);
    expect(q.pop()?.info.name).toBe('p');
  });
});
