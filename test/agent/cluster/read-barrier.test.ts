/**
 * ReadBarrier: concurrent reads share ReadIndex rounds, yet no read is served by a round that
 * started before it arrived, and a failed round fails only its own readers.
 */
import { describe, expect, it } from 'vitest';
import { ReadBarrier } from '../../../agent/src/cluster/replicated-store.ts';

/** A readIndex whose rounds the test settles by hand. */
function manualRounds() {
  const rounds: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const readIndex = () =>
    new Promise<void>((resolve, reject) => {
      rounds.push({ resolve, reject });
    });
  return { rounds, readIndex };
}

const settled = async (p: Promise<void>) =>
  p.then(
    () => 'ok',
    (e: Error) => e.message,
  );
const flush = () => new Promise((r) => setImmediate(r));

describe('ReadBarrier', () => {
  it('1,000 concurrent reads cost two rounds: the one they found idle and one gathering', async () => {
    const { rounds, readIndex } = manualRounds();
    const barrier = new ReadBarrier(readIndex);
    const first = barrier.wait();
    const rest = Array.from({ length: 999 }, () => barrier.wait());
    expect(rounds).toHaveLength(1);
    rounds[0]!.resolve();
    await first;
    await flush();
    expect(rounds).toHaveLength(2);
    rounds[1]!.resolve();
    await Promise.all(rest);
    expect(rounds).toHaveLength(2);
  });

  it('a read arriving while a round is in flight is not released by that round', async () => {
    const { rounds, readIndex } = manualRounds();
    const barrier = new ReadBarrier(readIndex);
    const early = barrier.wait();
    let lateDone = false;
    const late = barrier.wait().then(() => {
      lateDone = true;
    });
    rounds[0]!.resolve();
    await early;
    await flush();
    expect(lateDone).toBe(false);
    rounds[1]!.resolve();
    await late;
    expect(lateDone).toBe(true);
  });

  it('a failed round fails its readers only; the gathered ones get a fresh round', async () => {
    const { rounds, readIndex } = manualRounds();
    const barrier = new ReadBarrier(readIndex);
    const early = settled(barrier.wait());
    const late = settled(barrier.wait());
    rounds[0]!.reject(new Error('leader changed'));
    expect(await early).toBe('leader changed');
    await flush();
    rounds[1]!.resolve();
    expect(await late).toBe('ok');
    // Idle again: the next read starts its own round at once.
    const next = settled(barrier.wait());
    expect(rounds).toHaveLength(3);
    rounds[2]!.resolve();
    expect(await next).toBe('ok');
  });
});
