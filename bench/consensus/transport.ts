// The TCP transport, plain and mutual TLS, between two transports in one process over loopback:
//   round trip: heartbeat -> heartbeatResp, one at a time (p50/p99);
//   throughput: 'app' messages with one 256 B entry, sent in batches of 64, until all arrive.
// Anchors: a bare Node TCP socket echoing 64-byte frames (the floor of any transport here), and
// one libp2p stream (TCP + Noise + yamux) carrying the same frames.
//
//   node_modules/.bin/node bench/consensus/transport.ts

import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeCa, makeNodeCert } from '../../consensus/example/dev-certs.ts';
import { createTcpTransport, type TcpTransport } from '../../consensus/src/transport/tcp-transport.ts';
import type { Message } from '../../consensus/src/types.ts';
import { libp2pPair, type MessagePipe } from './libp2p-pair.ts';
import { percentile } from './measure.ts';

const roundTrips = Number(process.env.BENCH_RTT ?? 5000);
const messages = Number(process.env.BENCH_MESSAGES ?? 200_000);

async function pair(
  tls: { key: string; cert: string; ca: string }[] | undefined,
): Promise<[TcpTransport, TcpTransport]> {
  const a = await createTcpTransport({
    id: 1,
    listen: '127.0.0.1:0',
    tls: tls?.[0],
    maxQueuedFrames: 1 << 20,
  });
  const b = await createTcpTransport({
    id: 2,
    listen: '127.0.0.1:0',
    tls: tls?.[1],
    maxQueuedFrames: 1 << 20,
  });
  a.addPeer(2, `127.0.0.1:${b.address.port}`);
  b.addPeer(1, `127.0.0.1:${a.address.port}`);
  return [a, b];
}

async function measure(name: string, a: MessagePipe, b: MessagePipe) {
  let onReply: (() => void) | undefined;
  let received = 0;
  let onAll: (() => void) | undefined;
  let expected = 0;
  b.onMessage((m) => {
    if (m.type === 'heartbeat') b.send([{ type: 'heartbeatResp', from: 2, to: 1, term: m.term }]);
    else if (++received === expected) onAll?.();
  });
  a.onMessage(() => onReply?.());
  const rtt = async () => {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      onReply = resolve;
      a.send([{ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0 }]);
    });
    return performance.now() - t0;
  };
  // Connections come up and warm.
  for (let i = 0; i < 200; i++) await rtt();
  const samples: number[] = [];
  for (let i = 0; i < roundTrips; i++) samples.push(await rtt());
  samples.sort((x, y) => x - y);

  const data = new Uint8Array(256).fill(1);
  const batch: Message[] = Array.from({ length: 64 }, (_, i) => ({
    type: 'app',
    from: 1,
    to: 2,
    term: 1,
    index: i,
    logTerm: 1,
    commit: 0,
    entries: [{ term: 1, index: i + 1, type: 'normal', data }],
  }));
  expected = messages;
  received = 0;
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    onAll = resolve;
  });
  for (let sent = 0; sent < messages; sent += batch.length) {
    a.send(batch);
    // Yield now and then so the flushes run, as the Raft loop does between readies.
    if ((sent / batch.length) % 16 === 0) await new Promise((r) => setImmediate(r));
  }
  await done;
  const seconds = (performance.now() - t0) / 1000;
  return {
    name,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    perSecond: messages / seconds,
    mbPerSecond: (messages * 256) / seconds / 1e6,
  };
}

async function bareSocketRtt(): Promise<{ p50: number; p99: number }> {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((r) => socket.once('connect', r));
  const frame = Buffer.alloc(64);
  const samples: number[] = [];
  for (let i = 0; i < roundTrips + 200; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      socket.once('data', () => resolve());
      socket.write(frame);
    });
    if (i >= 200) samples.push(performance.now() - t0);
  }
  socket.destroy();
  server.close();
  samples.sort((x, y) => x - y);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'kedge-bench-tls-'));
try {
  makeCa(dir);
  const creds = [makeNodeCert(dir, 'node-1'), makeNodeCert(dir, 'node-2')];
  const results = [];
  for (const [name, tls] of [
    ['plain TCP', undefined],
    ['mutual TLS', creds],
  ] as const) {
    const [a, b] = await pair(tls ? [...tls] : undefined);
    try {
      results.push(await measure(name, a, b));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }
  const [la, lb] = await libp2pPair();
  try {
    results.push(await measure('libp2p stream (Noise + yamux)', la, lb));
  } finally {
    await la.close();
  }
  const bare = await bareSocketRtt();
  console.log(
    `# consensus transport on loopback: ${roundTrips} round trips, ${messages} app messages of 256 B\n`,
  );
  console.log('| transport | RTT p50 ms | RTT p99 ms | msgs/s | MB/s (payload) |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(`| bare socket echo (anchor) | ${bare.p50.toFixed(3)} | ${bare.p99.toFixed(3)} | - | - |`);
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.perSecond.toFixed(0)} | ${r.mbPerSecond.toFixed(1)} |`,
    );
  }
  const [plain, tls] = results;
  if (plain && tls) {
    console.log(
      `\nTLS/plain: RTT p50 x${(tls.p50 / plain.p50).toFixed(2)}, throughput x${(tls.perSecond / plain.perSecond).toFixed(2)}`,
    );
    console.log(`plain/bare socket RTT p50: x${(plain.p50 / bare.p50).toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
