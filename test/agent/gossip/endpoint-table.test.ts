import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointEntry, OriginState } from '@kedge/proxy';
import { afterEach, describe, expect, it } from 'vitest';
import { EndpointTable } from '../../../agent/src/gossip/endpoint-table.ts';
import { EndpointTableFile } from '../../../agent/src/gossip/endpoint-table-file.ts';
import { GossipError } from '../../../agent/src/gossip/gossip-error.ts';
import { decodeMessage, encodeMessage } from '../../../agent/src/gossip/gossip-messages.ts';
import { seededRandom } from './seeded-random.ts';

function entry(service: string, ip: string, ready = true, port = 8080): EndpointEntry {
  return { namespace: 'default', service, portName: 'http', ip, port, protocol: 'TCP', ready };
}

describe('EndpointTable merge rules', () => {
  it('announces a new sequence only when its own entries change', () => {
    const t = new EndpointTable('a', 100);
    const first = t.setLocalEntries([entry('web', '10.0.0.1')]);
    expect(first).toMatchObject({ nodeId: 'a', incarnation: 100, sequence: 1 });
    expect(t.setLocalEntries([entry('web', '10.0.0.1')])).toBeUndefined();
    expect(t.setLocalEntries([entry('web', '10.0.0.1', false)])?.sequence).toBe(2);
  });

  it('a newer sequence replaces the origin’s whole entry set; older and equal ones are stale', () => {
    const t = new EndpointTable('self', 1);
    const v1: OriginState = { nodeId: 'b', incarnation: 5, sequence: 1, entries: [entry('web', '10.0.1.1')] };
    const v2: OriginState = { nodeId: 'b', incarnation: 5, sequence: 2, entries: [entry('db', '10.0.1.2')] };
    expect(t.merge(v2)).toBe('applied');
    expect(t.merge(v1)).toBe('stale');
    expect(t.merge(v2)).toBe('stale');
    expect([...t.view().keys()]).toEqual(['default/db']);
  });

  it('a restarted origin (higher incarnation) supersedes its old table even at a lower sequence', () => {
    const t = new EndpointTable('self', 1);
    t.merge({ nodeId: 'b', incarnation: 5, sequence: 40, entries: [entry('web', '10.0.1.1')] });
    expect(t.merge({ nodeId: 'b', incarnation: 6, sequence: 0, entries: [] })).toBe('applied');
    expect(t.view().size).toBe(0);
  });

  it('the merged view marks local endpoints and the node of each, readiness included', () => {
    const t = new EndpointTable('a', 1);
    t.setLocalEntries([entry('web', '10.0.0.1')]);
    t.merge({ nodeId: 'b', incarnation: 1, sequence: 1, entries: [entry('web', '10.0.0.2', false)] });
    expect(t.view().get('default/web')).toEqual([
      {
        portName: 'http',
        ip: '10.0.0.1',
        port: 8080,
        protocol: 'TCP',
        ready: true,
        nodeId: 'a',
        local: true,
      },
      {
        portName: 'http',
        ip: '10.0.0.2',
        port: 8080,
        protocol: 'TCP',
        ready: false,
        nodeId: 'b',
        local: false,
      },
    ]);
  });

  it('drops a dead origin and refuses its late copies until it comes back newer or is seen alive', () => {
    const t = new EndpointTable('self', 1);
    const v3: OriginState = { nodeId: 'b', incarnation: 5, sequence: 3, entries: [entry('web', '10.0.1.1')] };
    t.merge(v3);
    expect(t.markDead('b')).toBe(true);
    expect(t.view().size).toBe(0);
    expect(t.merge(v3)).toBe('dead-origin');
    expect(t.merge({ ...v3, sequence: 2 })).toBe('dead-origin');
    t.markAlive('b');
    expect(t.merge(v3)).toBe('applied');
    t.markDead('b');
    expect(t.merge({ ...v3, incarnation: 6, sequence: 0 })).toBe('applied');
  });

  it('ignores announcements of its own origin from others', () => {
    const t = new EndpointTable('a', 1);
    expect(t.merge({ nodeId: 'a', incarnation: 9, sequence: 9, entries: [entry('x', '1.1.1.1')] })).toBe(
      'self',
    );
    expect(t.view().size).toBe(0);
  });
});

describe('EndpointTable persistence', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('a restarted agent serves the persisted table and supersedes its own old incarnation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kedge-table-'));
    dirs.push(dir);
    const file = new EndpointTableFile(dir);
    const before = new EndpointTable('a', 1000);
    before.setLocalEntries([entry('web', '10.0.0.1')]);
    before.merge({ nodeId: 'b', incarnation: 7, sequence: 3, entries: [entry('web', '10.0.0.2')] });
    await file.save(before.states());

    const loaded = await file.load();
    if (loaded instanceof GossipError) throw loaded;
    // Clock went backwards across the restart: the incarnation must still move forward.
    const after = new EndpointTable('a', 900, loaded);
    expect(after.localState().incarnation).toBe(1001);
    expect(after.view()).toEqual(before.view());
  });

  it('a corrupt file is an Invalid error that says how to recover, and no file is an empty table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kedge-table-'));
    dirs.push(dir);
    const file = new EndpointTableFile(dir);
    expect(await file.load()).toEqual([]);
    await writeFile(file.path, '{"origins": [{"nodeId": 3}]}');
    const err = await file.load();
    expect(err).toBeInstanceOf(GossipError);
    expect((err as GossipError).kind).toBe('Invalid');
    expect((err as GossipError).message).toMatch(/delete it/);
  });
});

describe('gossip message codec', () => {
  it('round-trips and rejects malformed input as an error value', () => {
    const state: OriginState = {
      nodeId: 'a',
      incarnation: 1,
      sequence: 2,
      entries: [entry('web', '10.0.0.1')],
    };
    expect(decodeMessage(encodeMessage({ type: 'endpoints', full: true, state }))).toEqual({
      type: 'endpoints',
      full: true,
      state,
    });
    expect(
      decodeMessage(new TextEncoder().encode('{"type":"endpoints","state":{"nodeId":"a"}}')),
    ).toBeInstanceOf(GossipError);
    expect(decodeMessage(new TextEncoder().encode('not json'))).toBeInstanceOf(GossipError);
  });
});

describe('convergence under random loss and reordering (seeded)', () => {
  interface InFlight {
    deliverAt: number;
    to: number;
    bytes: Uint8Array;
  }

  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`seed ${seed}: every agent ends with every live origin's latest entries`, () => {
      const random = seededRandom(seed);
      const n = 6;
      const agents = Array.from({ length: n }, (_, i) => new EndpointTable(`n${i}`, 1));
      let inFlight: InFlight[] = [];
      const broadcast = (from: number, state: OriginState, full: boolean, round: number) => {
        const bytes = encodeMessage({ type: 'endpoints', full, state });
        for (let to = 0; to < n; to++) {
          if (to === from || random() < 0.4) continue; // 40% loss
          inFlight.push({ deliverAt: round + Math.floor(random() * 5), to, bytes }); // reorder by up to 5 rounds
        }
      };
      const deliver = (round: number) => {
        const due = inFlight.filter((m) => m.deliverAt <= round).sort(() => random() - 0.5);
        inFlight = inFlight.filter((m) => m.deliverAt > round);
        for (const m of due) {
          const msg = decodeMessage(m.bytes);
          if (msg instanceof GossipError || msg.type !== 'endpoints') throw new Error('codec');
          agents[m.to]!.merge(msg.state);
        }
      };

      for (let round = 0; round < 200; round++) {
        const changing = round < 120;
        if (changing) {
          const who = Math.floor(random() * n);
          const count = Math.floor(random() * 4);
          const entries = Array.from({ length: count }, (_, k) =>
            entry(`svc${k % 2}`, `10.${who}.0.${Math.floor(random() * 5)}`, random() < 0.7),
          );
          const delta = agents[who]!.setLocalEntries(entries);
          if (delta) broadcast(who, delta, false, round);
          if (round === 60) {
            // Agent 3 restarts from its persisted table with a new incarnation.
            agents[3] = new EndpointTable('n3', 2, agents[3]!.states());
            broadcast(3, agents[3]!.localState(), true, round);
          }
        }
        if (round % 10 === 0) for (let i = 0; i < n; i++) broadcast(i, agents[i]!.localState(), true, round);
        deliver(round);
      }
      deliver(Number.MAX_SAFE_INTEGER);
      const truth = new EndpointTable('observer', 1);
      for (const a of agents) truth.merge(a.localState());
      for (const a of agents) {
        const view = [...a.view()].map(([k, eps]) => [k, eps.map(({ local: _l, ...rest }) => rest)]);
        const expected = [...truth.view()].map(([k, eps]) => [k, eps.map(({ local: _l, ...rest }) => rest)]);
        expect(view).toEqual(expected);
      }
    });
  }
});
