/**
 * What the person watching the demo sees. On a terminal: a compact view redrawn 10 times a second
 * (agents with role, term and leader; writes acknowledged; service answers; the latest events).
 * Otherwise (CI, a pipe): one plain line per event. The text is made by pure functions.
 */
import type { Palette } from '../printers/color.ts';
import type { AgentState } from './agent-watch.ts';
import { ms, type RoundResult, roundLine } from './failover-summary.ts';

export type DemoEvent =
  | { readonly type: 'note'; readonly text: string }
  | { readonly type: 'round'; readonly round: number; readonly of: number }
  | {
      readonly type: 'killed';
      readonly round: number;
      readonly name: string;
      readonly pid: number;
      readonly term: number;
      readonly via: string;
    }
  | {
      readonly type: 'elected';
      readonly round: number;
      readonly name: string;
      readonly term: number;
      readonly ms: number;
    }
  | {
      readonly type: 'writes-accepted';
      readonly round: number;
      readonly ms: number;
      readonly refused: number;
    }
  | { readonly type: 'restarted'; readonly round: number; readonly name: string; readonly pid: number }
  | {
      readonly type: 'rejoined';
      readonly round: number;
      readonly name: string;
      readonly leader: string;
      readonly term: number;
      readonly ms: number;
    }
  | { readonly type: 'round-done'; readonly result: RoundResult };

/** One event as a line of text. */
export function eventLine(e: DemoEvent): string {
  switch (e.type) {
    case 'note':
      return e.text;
    case 'round':
      return `--- round ${e.round} of ${e.of} ---`;
    case 'killed':
      return `kill -9 ${e.name} (pid ${e.pid}, leader in term ${e.term}); clients write and call the service through ${e.via}`;
    case 'elected':
      return `${e.name} leads (term ${e.term}) ${ms(e.ms)} after the kill`;
    case 'writes-accepted':
      return `the API accepts writes again ${ms(e.ms)} after the kill (${e.refused} write(s) refused meanwhile)`;
    case 'restarted':
      return `restarted ${e.name} (pid ${e.pid})`;
    case 'rejoined':
      return `${e.name} rejoined as a follower of ${e.leader} in term ${e.term}, ${ms(e.ms)} after its restart`;
    case 'round-done':
      return roundLine(e.result);
  }
}

export interface LiveSnapshot {
  readonly round: number;
  readonly rounds: number;
  readonly agents: readonly AgentState[];
  readonly acknowledged: number;
  readonly lastRefusal?: string;
  readonly service:
    | { readonly ok: number; readonly failed: number; readonly via: string }
    | { readonly skipped: string };
  /** The latest event lines, oldest first. */
  readonly events: readonly string[];
}

/** The terminal view: a header, the agents' table, the clients' counters, the latest events. */
export function renderLive(s: LiveSnapshot, colors: Palette): string[] {
  const names = new Map<number, string>();
  for (const a of s.agents) if (a.status) names.set(a.status.id, a.agent.name);
  const rows: string[][] = [['AGENT', 'ADDRESS', 'ROLE', 'TERM', 'LEADER', 'APPLIED']];
  const tint: ((t: string) => string)[] = [colors.bold];
  for (const a of s.agents) {
    const st = a.status;
    if (st === undefined) {
      // A busy agent (starting up) can miss a 300 ms poll: that is not the same as a dead one.
      const slow = a.error?.includes('did not answer within') === true;
      rows.push([a.agent.name, a.agent.apiAddress, slow ? 'no answer' : 'down', '-', '-', '-']);
      tint.push(colors.red);
      continue;
    }
    const role = st.role === 'worker' || st.role === 'learner' ? st.role : st.raftState;
    rows.push([
      a.agent.name,
      a.agent.apiAddress,
      role,
      String(st.term),
      st.leader > 0 ? (names.get(st.leader) ?? `node ${st.leader}`) : '-',
      String(st.applied),
    ]);
    tint.push(
      role === 'leader' ? colors.green : role === 'follower' || role === 'worker' ? (t) => t : colors.yellow,
    );
  }
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const table = rows.map((r, i) =>
    (tint[i] as (t: string) => string)(
      r
        .map((cell, j) => cell.padEnd(widths[j] as number))
        .join('  ')
        .trimEnd(),
    ),
  );
  const service =
    'skipped' in s.service
      ? `service: check skipped: ${s.service.skipped}`
      : `service via ${s.service.via}: ${s.service.ok} ok, ${s.service.failed === 0 ? '0 failed' : colors.red(`${s.service.failed} failed`)}`;
  return [
    colors.bold(`kedge demo failover: round ${s.round} of ${s.rounds}`),
    ...table,
    `writes acknowledged: ${s.acknowledged}${s.lastRefusal ? `   last refused: ${truncate(s.lastRefusal, 70)}` : ''}`,
    service,
    '',
    ...s.events.map((e) => `  ${e}`),
  ];
}

const truncate = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 3)}...` : text);

export interface DemoView {
  emit(event: DemoEvent): void;
  /** Final redraw (TTY) and stop refreshing. */
  close(): void;
}

/** Plain lines per event, or (on a TTY) the refreshing view above them. */
export function createDemoView(o: {
  out: (text: string) => void;
  tty: boolean;
  colors: Palette;
  snapshot: (events: readonly string[]) => LiveSnapshot;
  clock: () => string;
}): DemoView {
  if (!o.tty) return { emit: (e) => o.out(`${o.clock()} ${eventLine(e)}\n`), close: () => {} };
  const events: string[] = [];
  let drawn = 0;
  const draw = () => {
    const lines = renderLive(o.snapshot(events), o.colors);
    // Back to the top of the previous frame, clear below, draw anew.
    o.out(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 100);
  return {
    emit(e) {
      if (e.type === 'round-done') return;
      events.push(`${o.clock()} ${eventLine(e)}`);
      if (events.length > 8) events.shift();
      draw();
    },
    close() {
      clearInterval(timer);
      draw();
    },
  };
}
