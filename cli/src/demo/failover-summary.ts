/**
 * The failover demo's figures: one RoundResult per leader kill, percentiles over the rounds, the
 * targets a run must meet, and the summary text. Pure: the demo measures, this judges.
 */

/** What one leader kill showed. Times are milliseconds from the kill -9. */
export interface RoundResult {
  readonly round: number;
  readonly killed: { readonly name: string; readonly term: number };
  readonly newLeader: { readonly name: string; readonly term: number };
  /** kill -9 -> a surviving voter reports itself leader in a later term. */
  readonly electionMs: number;
  /** kill -9 -> the first write sent after the kill that the API acknowledged. */
  readonly firstWriteMs: number;
  /** Restart of the old leader -> it follows the new leader in the new term, caught up. */
  readonly rejoinMs: number;
  /** Writes refused or unanswered between the kill and the first accepted one. */
  readonly refusedWrites: number;
  /** Service requests during the round (kill to rejoin), when the service is checked. */
  readonly service?: { readonly ok: number; readonly failed: number; readonly reasons?: readonly string[] };
}

export interface FailoverTargets {
  readonly electionP99Ms: number;
  readonly firstWriteP99Ms: number;
}

/** The targets: a new leader within 1 s and writes accepted again within 1.5 s (p99). */
export const DEFAULT_TARGETS: FailoverTargets = { electionP99Ms: 1000, firstWriteP99Ms: 1500 };

export interface FailoverOutcome {
  readonly rounds: readonly RoundResult[];
  readonly acknowledgedWrites: number;
  /** Acknowledged writes missing from the final list (sequence numbers). */
  readonly lostWrites: readonly number[];
  /** Why the service was not checked, when it was not. */
  readonly serviceSkipped?: string;
  /** Why the run stopped before its rounds were done, if it did. */
  readonly error?: string;
}

export interface Verdict {
  readonly passed: boolean;
  /** One line per target, "ok" or "MISSED". */
  readonly lines: readonly string[];
}

/** Nearest-rank percentile (p in 0..100) of a non-empty sample; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

const serviceFailures = (o: FailoverOutcome) =>
  o.rounds.reduce((sum, r) => sum + (r.service?.failed ?? 0), 0);
const serviceRequests = (o: FailoverOutcome) =>
  o.rounds.reduce((sum, r) => sum + (r.service ? r.service.ok + r.service.failed : 0), 0);

/** Checks the outcome against the targets; a run with no completed round fails. */
export function judge(o: FailoverOutcome, targets: FailoverTargets = DEFAULT_TARGETS): Verdict {
  const lines: string[] = [];
  let passed = o.rounds.length > 0;
  const check = (ok: boolean, text: string) => {
    passed &&= ok;
    lines.push(`${ok ? 'ok    ' : 'MISSED'}  ${text}`);
  };
  if (o.error !== undefined) check(false, `the run stopped early: ${o.error}`);
  if (o.rounds.length === 0) check(false, 'no round completed');
  else {
    const election = percentile(
      o.rounds.map((r) => r.electionMs),
      99,
    );
    const write = percentile(
      o.rounds.map((r) => r.firstWriteMs),
      99,
    );
    check(election < targets.electionP99Ms, `new leader p99 ${ms(election)} < ${ms(targets.electionP99Ms)}`);
    check(
      write < targets.firstWriteP99Ms,
      `first accepted write p99 ${ms(write)} < ${ms(targets.firstWriteP99Ms)}`,
    );
  }
  check(
    o.lostWrites.length === 0,
    `acknowledged writes lost: ${o.lostWrites.length} of ${o.acknowledgedWrites}` +
      (o.lostWrites.length > 0
        ? ` (sequence ${o.lostWrites.slice(0, 10).join(', ')}${o.lostWrites.length > 10 ? ', ...' : ''})`
        : ''),
  );
  if (o.serviceSkipped !== undefined) lines.push(`skip    service check skipped: ${o.serviceSkipped}`);
  else
    check(
      serviceFailures(o) === 0,
      `service requests failed: ${serviceFailures(o)} of ${serviceRequests(o)}`,
    );
  return { passed, lines };
}

/** One line per round, as the non-interactive mode prints it. */
export function roundLine(r: RoundResult): string {
  const service = r.service ? `, service ${r.service.ok} ok / ${r.service.failed} failed` : '';
  return (
    `round ${r.round}: killed ${r.killed.name} (leader, term ${r.killed.term}); ` +
    `${r.newLeader.name} leads term ${r.newLeader.term} after ${ms(r.electionMs)}; ` +
    `first accepted write after ${ms(r.firstWriteMs)} (${r.refusedWrites} refused); ` +
    `${r.killed.name} rejoined as follower after ${ms(r.rejoinMs)}${service}`
  );
}

/** The closing summary: rounds, p50/p99 of each time, and the verdict. */
export function summaryText(o: FailoverOutcome, targets: FailoverTargets = DEFAULT_TARGETS): string {
  const out: string[] = [
    `failover summary (${o.rounds.length} round(s)):`,
    ...o.rounds.map((r) => `  ${roundLine(r)}`),
  ];
  const row = (label: string, values: number[]) =>
    out.push(
      `  ${label.padEnd(26)} p50 ${ms(percentile(values, 50)).padStart(7)}  p99 ${ms(percentile(values, 99)).padStart(7)}  max ${ms(Math.max(...values)).padStart(7)}`,
    );
  if (o.rounds.length > 0) {
    row(
      'kill -> new leader',
      o.rounds.map((r) => r.electionMs),
    );
    row(
      'kill -> first accepted write',
      o.rounds.map((r) => r.firstWriteMs),
    );
    row(
      'restart -> rejoined',
      o.rounds.map((r) => r.rejoinMs),
    );
  }
  const verdict = judge(o, targets);
  for (const line of verdict.lines) out.push(`  ${line}`);
  for (const r of o.rounds)
    for (const reason of r.service?.reasons ?? [])
      out.push(`          round ${r.round} service failure: ${reason}`);
  out.push(verdict.passed ? 'PASSED: every target met' : 'FAILED: a target was missed');
  return `${out.join('\n')}\n`;
}

export const ms = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)} ms` : '-');
