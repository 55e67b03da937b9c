import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeProtocol } from '../../../agent/src/gossip/probe-protocol.ts';

/**
 * A stream whose peer never answers and whose close hangs until the probe's signal aborts: what a
 * prober sees from an overloaded member (found with 20 agent processes on 2 cores).
 */
class HangingStream extends EventTarget {
  status = 'open';
  send(): boolean {
    return true;
  }
  close(options: { signal?: AbortSignal } = {}): Promise<void> {
    return new Promise((_, reject) => {
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
    });
  }
  abort(): void {
    this.status = 'aborted';
  }
}

function probeOver(stream: HangingStream): ProbeProtocol {
  const libp2p = {
    dialProtocol: async () => stream as unknown as Stream,
  } as unknown as Libp2p;
  return new ProbeProtocol({
    libp2p,
    peerOf: () => ({}) as PeerId,
    onPinged: () => 1,
  });
}

describe('ProbeProtocol', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    unhandled.length = 0;
  });

  it('fails a ping that times out during the close without leaving a rejection unhandled', async () => {
    process.on('unhandledRejection', onUnhandled);
    const stream = new HangingStream();
    await expect(probeOver(stream).ping('slow', AbortSignal.timeout(30))).rejects.toThrow();
    // Unhandled rejections are reported after the microtask queue drains.
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
    expect(stream.status).toBe('aborted');
  });
});
