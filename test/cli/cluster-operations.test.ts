/**
 * The pure parts of `kedge cluster transfer-leader NODE` and `kedge cluster autopilot`: which
 * voter NODE names (and why a worker or a stranger cannot lead), and how the settings read.
 * The real-process run of both is test/e2e/cluster-operations.process.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { formatAutopilot } from '../../cli/src/commands/cluster-autopilot.ts';
import { targetVoter } from '../../cli/src/commands/transfer-leader.ts';

const members = [
  { id: 1, name: 'edge-a', role: 'voter', apiAddress: '127.0.0.1:6443' },
  { id: 2, name: 'edge-b', role: 'voter', apiAddress: '127.0.0.2:6443' },
  { id: 4, name: 'edge-d', role: 'worker', apiAddress: '127.0.0.4:6443' },
];

describe('transfer-leader target', () => {
  it('takes a voter by id or by name', () => {
    expect(targetVoter('2', members)).toEqual({ id: 2 });
    expect(targetVoter('edge-b', members)).toEqual({ id: 2 });
  });

  it('refuses a worker and lists the voters', () => {
    expect(targetVoter('edge-d', members)).toEqual({
      problem:
        'node 4 (edge-d) is a worker, and only a voter can lead; the voters are 1 (edge-a), 2 (edge-b)',
    });
  });

  it('refuses a node that is not a member', () => {
    expect(targetVoter('9', members)).toEqual({
      problem: 'node "9" is not a member of this cluster; the voters are 1 (edge-a), 2 (edge-b)',
    });
  });
});

describe('autopilot settings', () => {
  it('reads as durations and counts', () => {
    const text = formatAutopilot({
      settings: { enabled: true, deadVoterGraceMs: 15_000, stabilizationMs: 3000, maxLagEntries: 64 },
      desiredVoters: 3,
      voters: [1, 2, 3],
    });
    expect(text).toBe(
      [
        'enabled            true',
        'voters wanted      3 (now 3: 1, 2, 3)',
        'dead-voter grace   15s',
        'stabilization      3s',
        'max learner lag    64 entries',
        '',
      ].join('\n'),
    );
  });
});
