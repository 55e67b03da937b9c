// Two libp2p hosts (TCP + Noise + yamux) joined by one stream that carries Raft messages framed as
// the TCP transport frames them: the anchor for "why not just use libp2p streams for Raft".

import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { Libp2p, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { encodeFrame, FRAME_MESSAGE, FrameDecoder } from '../../consensus/src/transport/frame.ts';
import { decodeMessage, encodeMessage } from '../../consensus/src/transport/message-codec.ts';
import type { Message } from '../../consensus/src/types.ts';

const PROTOCOL = '/kedge/raft-bench/1.0.0';

/** The slice of Transport the transport benchmark uses. */
export interface MessagePipe {
  send(messages: readonly Message[]): void;
  onMessage(handler: (message: Message) => void): void;
  close(): Promise<void>;
}

function pipeOver(stream: Stream, close: () => Promise<void>): MessagePipe {
  const decoder = new FrameDecoder();
  let handler: ((message: Message) => void) | undefined;
  let pending: Buffer[] = [];
  let draining = false;
  stream.addEventListener('message', (event) => {
    for (const frame of decoder.push(Buffer.from(event.data.subarray())))
      handler?.(decodeMessage(frame.payload));
  });
  const flush = (): void => {
    if (draining || pending.length === 0) return;
    const batch = Buffer.concat(pending);
    pending = [];
    if (!stream.send(batch)) {
      draining = true;
      void stream.onDrain().then(() => {
        draining = false;
        flush();
      });
    }
  };
  return {
    send(messages) {
      for (const m of messages) pending.push(encodeFrame(FRAME_MESSAGE, encodeMessage(m)));
      // Batch per turn, as the TCP transport does.
      if (pending.length === messages.length) setImmediate(flush);
    },
    onMessage(h) {
      handler = h;
    },
    close,
  };
}

async function host(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
}

/** Two pipes, one per end of a single libp2p stream. */
export async function libp2pPair(): Promise<[MessagePipe, MessagePipe]> {
  const a = await host();
  const b = await host();
  const close = async () => {
    await Promise.all([a.stop(), b.stop()]);
  };
  const inbound = new Promise<Stream>((resolve) => {
    void b.handle(PROTOCOL, (stream) => resolve(stream));
  });
  const address = b.getMultiaddrs()[0];
  if (!address) throw new Error('libp2p host b has no listen address');
  const outbound = await a.dialProtocol(address, PROTOCOL);
  return [pipeOver(outbound, close), pipeOver(await inbound, close)];
}
