/**
 * The failover demo's judgement and display, without a cluster: percentiles over rounds, the
 * targets (a missed one fails the run), lost-write detection, the live view and event lines.
 */
import { describe, expect, it } from 'vitest';
import type { AgentState, DemoAgent } from '../../cli/src/demo/agent-watch.ts';
import { leaderOf, settledLeader } from '../../cli/src/demo/agent-watch.ts';
import { judge, percentile, type RoundResult, summaryText } from '../../cli/src/demo/failover-summary.ts';
import { eventLine, renderLive } from '../../cli/src/demo/live-view.ts';
import { lostWrites } from '../../cli/src/demo/write-stream.ts';
import { NO_COLORS } from '../../cli/src/printers/color.ts';

const round = (n: number, electionMs: number, firstWriteMs: number, failed = 0): RoundResult => ({
  round: n,
  killed: { name: 'agent-1', term: n + 1 },
  newLeader: { name: 'agent-2', term: n + 2 },
  electionMs,
  firstWriteMs,
  rejoinMs: 3000,
  refusedWrites: 4,
  service: { ok: 100, failed },
});

describe('percentile', () => {
  it('is nearest-rank: p50 of 1..10 is 5, p99 is the maximum', () => {
    const values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('judge', () => {
  it('passes when every target is met', () => {
    const verdict = judge({
      rounds: [round(1, 400, 600), round(2, 700, 900)],
      acknowledgedWrites: 100,
      lostWrites: [],
    });
    expect(verdict.passed).toBe(true);
    expect(verdict.lines.every((l) => l.startsWith('ok'))).toBe(true);
  });

  it('fails on a slow election in any round (p99 over few rounds is the worst)', () => {
    const verdict = judge({
      rounds: [round(1, 400, 600), round(2, 1200, 1300)],
      acknowledgedWrites: 10,
      lostWrites: [],
    });
    expect(verdict.passed).toBe(false);
    expect(verdict.lines.find((l) => l.includes('new leader'))).toMatch(/^MISSED.*1200 ms < 1000 ms/);
  });

  it('fails on a slow first write, a lost write, a failed service request, or an early stop', () => {
    const ok = [round(1, 300, 500)];
    expect(judge({ rounds: [round(1, 300, 1600)], acknowledgedWrites: 5, lostWrites: [] }).passed).toBe(
      false,
    );
    const lost = judge({ rounds: ok, acknowledgedWrites: 5, lostWrites: [3] });
    expect(lost.passed).toBe(false);
    expect(lost.lines.join('\n')).toContain('acknowledged writes lost: 1 of 5 (sequence 3)');
    expect(judge({ rounds: [round(1, 300, 500, 2)], acknowledgedWrites: 5, lostWrites: [] }).passed).toBe(
      false,
    );
    expect(judge({ rounds: ok, acknowledgedWrites: 5, lostWrites: [], error: 'timeout' }).passed).toBe(false);
    expect(judge({ rounds: [], acknowledgedWrites: 0, lostWrites: [] }).passed).toBe(false);
  });

  it('says honestly when the service was not checked, without failing for it', () => {
    const r = { ...round(1, 300, 500), service: undefined };
    const verdict = judge({
      rounds: [r],
      acknowledgedWrites: 5,
      lostWrites: [],
      serviceSkipped: 'no sample service',
    });
    expect(verdict.passed).toBe(true);
    expect(verdict.lines).toContain('skip    service check skipped: no sample service');
  });

  it('the summary names each round, p50/p99 and the verdict', () => {
    const text = summaryText({
      rounds: [round(1, 400, 600), round(2, 500, 700)],
      acknowledgedWrites: 9,
      lostWrites: [],
    });
    expect(text).toContain('round 2: killed agent-1');
    expect(text).toMatch(/kill -> new leader\s+p50\s+400 ms\s+p99\s+500 ms/);
    expect(text).toContain('PASSED');
  });
});

describe('lostWrites', () => {
  it('names acknowledged sequence numbers missing from the list, ignoring other runs', () => {
    const acked = [1, 2, 3, 5].map((seq) => ({ seq, sentAt: 0, ackAt: 1 }));
    const listed = ['failover-abc-1', 'failover-abc-3', 'failover-abc-4', 'failover-zzz-2', 'other'];
    expect(lostWrites(acked, listed, 'abc')).toEqual([2, 5]);
    expect(
      lostWrites(acked, ['failover-abc-1', 'failover-abc-2', 'failover-abc-3', 'failover-abc-5'], 'abc'),
    ).toEqual([]);
  });
});

const agent = (index: number): DemoAgent => ({
  index,
  name: `agent-${index}`,
  apiAddress: `127.0.0.${index}:16400`,
  dataDir: `/tmp/a${index}`,
  pid: 100 + index,
});
const voter = (a: DemoAgent, raftState: string, term: number, leader: number, applied = 10): AgentState => ({
  agent: a,
  at: 0,
  status: {
    id: a.index,
    role: raftState === 'leader' ? 'leader' : 'candidate',
    raftState,
    term,
    leader,
    commit: applied,
    applied,
  },
});

describe('leader detection', () => {
  const [a1, a2, a3] = [agent(1), agent(2), agent(3)];
  it('the leader is the one in the highest term; settled needs every voter following it', () => {
    const stale = voter(a1, 'leader', 2, 1);
    const fresh = voter(a2, 'leader', 3, 2);
    expect(leaderOf([stale, fresh])?.agent).toBe(a2);
    expect(settledLeader([fresh, voter(a1, 'follower', 3, 2), voter(a3, 'follower', 3, 2)])?.agent).toBe(a2);
    expect(settledLeader([fresh, voter(a1, 'follower', 2, 1), voter(a3, 'follower', 3, 2)])).toBeUndefined();
    expect(
      settledLeader([fresh, { agent: a1, at: 0, error: 'ECONNREFUSED' }, voter(a3, 'follower', 3, 2)]),
    ).toBeUndefined();
    expect(
      settledLeader([voter(a2, 'leader', 3, 2, 900), voter(a1, 'follower', 3, 2, 10)], 500),
    ).toBeUndefined();
  });

  it('the live view shows each agent, a dead one as down, and the clients', () => {
    const lines = renderLive(
      {
        round: 2,
        rounds: 3,
        agents: [
          voter(a2, 'leader', 3, 2),
          voter(a3, 'follower', 3, 2),
          { agent: a1, at: 0, error: 'ECONNREFUSED' },
        ],
        acknowledged: 812,
        service: { ok: 40, failed: 0, via: '127.0.0.3:30080' },
        events: ['12:00:00.000 kill -9 agent-1'],
      },
      NO_COLORS,
    );
    expect(lines[0]).toBe('kedge demo failover: round 2 of 3');
    expect(lines.find((l) => l.startsWith('agent-2'))).toMatch(/leader\s+3\s+agent-2/);
    expect(lines.find((l) => l.startsWith('agent-3'))).toMatch(/follower\s+3\s+agent-2/);
    expect(lines.find((l) => l.startsWith('agent-1'))).toMatch(/down/);
    expect(lines).toContain('writes acknowledged: 812');
    expect(lines).toContain('service via 127.0.0.3:30080: 40 ok, 0 failed');
  });

  it('event lines say what happened in words', () => {
    expect(eventLine({ type: 'elected', round: 1, name: 'agent-2', term: 4, ms: 412.4 })).toBe(
      'agent-2 leads (term 4) 412 ms after the kill',
    );
    expect(eventLine({ type: 'writes-accepted', round: 1, ms: 530, refused: 12 })).toContain(
      '530 ms after the kill (12 write(s) refused',
    );
  });
});
