import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeNodeCert, type NodeCredentials } from '../../../consensus/example/dev-certs.ts';
import { createTcpTransport, type TcpTransport } from '../../../consensus/src/transport/tcp-transport.ts';
import type { Message, NodeId } from '../../../consensus/src/types.ts';

let dir: string;
const creds = new Map<string, NodeCredentials>();

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kedge-tls-'));
  makeCa(dir, 'cluster');
  makeCa(dir, 'rogue');
  for (const id of [1, 2, 3]) creds.set(`node-${id}`, makeNodeCert(dir, `node-${id}`, 'cluster'));
  // Signed by the right CA but naming another node; and the right name under a foreign CA.
  creds.set('liar', makeNodeCert(dir, 'node-9', 'cluster'));
  creds.set('foreign', makeNodeCert(dir, 'node-2', 'rogue'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tlsFor = (name: string) => {
  const c = creds.get(name);
  if (!c) throw new Error(`no credentials ${name}`);
  return { key: c.key, cert: c.cert, ca: creds.get('node-1')?.ca ?? c.ca };
};

function inbox(transport: TcpTransport) {
  const received: Message[] = [];
  const waiters: Array<() => void> = [];
  transport.onMessage((m) => {
    received.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (n: number, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (received.length < n) {
      if (Date.now() > deadline) throw new Error(`got ${received.length} of ${n} messages`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return received;
  };
  return { received, waitFor };
}

const heartbeat = (from: NodeId, to: NodeId, term: number): Message => ({
  type: 'heartbeat',
  from,
  to,
  term,
  commit: 0,
});

async function pair(mode: 'tcp' | 'tls', names: [string, string] = ['node-1', 'node-2']) {
  const a = await createTcpTransport({
    id: 1,
    listen: '127.0.0.1:0',
    tls: mode === 'tls' ? tlsFor(names[0]) : undefined,
  });
  const b = await createTcpTransport({
    id: 2,
    listen: '127.0.0.1:0',
    tls: mode === 'tls' ? tlsFor(names[1]) : undefined,
  });
  a.addPeer(2, `127.0.0.1:${b.address.port}`);
  b.addPeer(1, `127.0.0.1:${a.address.port}`);
  return { a, b };
}

describe.each(['tcp', 'tls'] as const)('tcp transport (%s)', (mode) => {
  it('delivers messages in order in both directions', async () => {
    const { a, b } = await pair(mode);
    try {
      const atB = inbox(b);
      const atA = inbox(a);
      a.send(Array.from({ length: 500 }, (_, i) => heartbeat(1, 2, i + 1)));
      b.send([heartbeat(2, 1, 1)]);
      const got = await atB.waitFor(500);
      expect(got.map((m) => m.term)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
      expect((await atA.waitFor(1))[0]?.from).toBe(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('streams a 5 MiB snapshot in chunks while heartbeats keep flowing', async () => {
    const { a, b } = await pair(mode);
    try {
      const atB = inbox(b);
      a.send([heartbeat(1, 2, 1)]);
      await atB.waitFor(1);
      const data = new Uint8Array(5 * 1024 * 1024);
      for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) % 256;
      const snap: Message = {
        type: 'snap',
        from: 1,
        to: 2,
        term: 3,
        snapshot: { metadata: { index: 10, term: 3, confState: { voters: [1, 2], learners: [] } }, data },
      };
      a.send([snap]);
      // Heartbeats sent after the snapshot must not wait for all of it.
      a.send([heartbeat(1, 2, 2)]);
      const got = await atB.waitFor(3, 10_000);
      const types = got.map((m) => m.type);
      expect(types.indexOf('snap')).toBeGreaterThan(types.lastIndexOf('heartbeat'));
      const arrived = got.find((m) => m.type === 'snap');
      expect(Buffer.from(arrived?.snapshot?.data ?? []).equals(Buffer.from(data))).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps a live link when a peer is named again at the same address', async () => {
    // The driver re-adds every member after each membership change; a dropped link there made
    // followers take their leader for dead and campaign (issue #8).
    const { a, b } = await pair(mode);
    try {
      const downs: string[] = [];
      a.onPeerDown((peer) => downs.push(`a lost ${peer}`));
      b.onPeerDown((peer) => downs.push(`b lost ${peer}`));
      const atB = inbox(b);
      const atA = inbox(a);
      a.send([heartbeat(1, 2, 1)]);
      b.send([heartbeat(2, 1, 1)]);
      await Promise.all([atB.waitFor(1), atA.waitFor(1)]);
      a.addPeer(2, `127.0.0.1:${b.address.port}`);
      b.addPeer(1, `127.0.0.1:${a.address.port}`);
      a.send([heartbeat(1, 2, 2)]);
      await atB.waitFor(2);
      await new Promise((r) => setTimeout(r, 300));
      expect(downs).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('reports a peer down when its process goes away, and reconnects when it is back', async () => {
    const { a, b } = await pair(mode);
    const downs: NodeId[] = [];
    a.onPeerDown((peer) => downs.push(peer));
    const port = b.address.port;
    inbox(b);
    a.send([heartbeat(1, 2, 1)]);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await b.close();
    while (downs.length === 0 && Date.now() - started < 2000) await new Promise((r) => setTimeout(r, 5));
    expect(downs).toEqual([2]);
    expect(Date.now() - started).toBeLessThan(500);
    // Same address, new process: the old link reconnects with backoff and delivery resumes.
    const b2 = await createTcpTransport({
      id: 2,
      listen: `127.0.0.1:${port}`,
      tls: mode === 'tls' ? tlsFor('node-2') : undefined,
    });
    try {
      const atB2 = inbox(b2);
      const deadline = Date.now() + 5000;
      while (atB2.received.length === 0 && Date.now() < deadline) {
        a.send([heartbeat(1, 2, 9)]);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(atB2.received[0]?.term).toBe(9);
      expect(downs).toEqual([2]);
    } finally {
      await Promise.all([a.close(), b2.close()]);
    }
  });

  it('drops messages that claim another sender', async () => {
    const { a, b } = await pair(mode);
    try {
      const atB = inbox(b);
      a.send([heartbeat(3, 2, 1), heartbeat(1, 2, 2)]);
      const got = await atB.waitFor(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(got.map((m) => [m.from, m.term])).toEqual([[1, 2]]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('tcp transport mutual TLS authentication', () => {
  it.each([
    ['a certificate for another node id', 'liar'],
    ['a certificate from a foreign CA', 'foreign'],
  ])('refuses a peer presenting %s', async (_what, name) => {
    const { a, b } = await pair('tls', ['node-1', name]);
    try {
      const atA = inbox(a);
      const atB = inbox(b);
      for (let i = 0; i < 10; i++) {
        b.send([heartbeat(2, 1, i + 1)]);
        a.send([heartbeat(1, 2, i + 1)]);
        await new Promise((r) => setTimeout(r, 30));
      }
      expect(atA.received).toEqual([]);
      expect(atB.received).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('tcp transport feedback', () => {
  it('reports a streamed snapshot as finished, and as failed when the peer is gone', async () => {
    const { a, b } = await pair('tcp');
    const statuses: string[] = [];
    const unreachable: NodeId[] = [];
    a.onSnapshotStatus((peer, status) => statuses.push(`${peer}:${status}`));
    a.onUnreachable((peer) => unreachable.push(peer));
    const snap: Message = {
      type: 'snap',
      from: 1,
      to: 2,
      term: 1,
      snapshot: {
        metadata: { index: 5, term: 1, confState: { voters: [1, 2], learners: [] } },
        data: new Uint8Array(1 << 20),
      },
    };
    try {
      const atB = inbox(b);
      a.send([heartbeat(1, 2, 1)]);
      await atB.waitFor(1);
      a.send([snap]);
      await atB.waitFor(2);
      expect(statuses).toEqual(['2:finish']);
      await b.close();
      await new Promise((r) => setTimeout(r, 100));
      a.send([snap]);
      await new Promise((r) => setTimeout(r, 100));
      expect(unreachable).toContain(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
