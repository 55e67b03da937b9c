// `kedge demo failover`: kill -9 the leader of a local cluster while clients write and call a
// Service, show the failover live, check nothing acknowledged was lost (cli/src/demo/).
import type { CommandSpec } from '../command.ts';
import { runFailoverDemo } from '../demo/failover-demo.ts';
import { judge, summaryText } from '../demo/failover-summary.ts';
import { createDemoView, type LiveSnapshot } from '../demo/live-view.ts';
import { usageError } from '../errors.ts';

export const demoCommand: CommandSpec = {
  name: 'demo',
  group: 'cluster',
  summary: 'Show a leader failover on a local cluster (kill -9 while clients write)',
  usage: `kedge demo failover [--agents 3] [--rounds N] [--non-interactive] [--dir D]

Uses the local cluster in --dir (or ~/.kedge/local) when its agents run; otherwise starts one in a
temporary directory and removes it afterwards. Each round kills the leader with kill -9, measures
the time to a new leader and to the first accepted write, then restarts the old leader and waits
until it follows again. Exits 1 when a target is missed: new leader p99 < 1 s, first accepted
write p99 < 1.5 s, no acknowledged write lost, no failed service request.

Examples:
  kedge demo failover
  kedge demo failover --rounds 20 --non-interactive`,
  subcommands: ['failover'],
  usesCluster: false,
  flags: [
    { name: 'agents', type: 'int', help: 'Agents of a cluster the demo starts', default: 3 },
    { name: 'rounds', type: 'int', help: 'Leader kills in a row', default: 3 },
    { name: 'non-interactive', type: 'bool', help: 'Plain lines and a summary, no live view' },
    { name: 'dir', type: 'string', help: 'A local cluster directory (`kedge up --dir`)' },
    {
      name: 'base-port',
      type: 'int',
      help: 'Ports of a cluster the demo starts: API P+i, Raft P+100+i',
      default: 16400,
    },
    {
      name: 'node-port',
      type: 'int',
      help: "The sample Service's NodePort on a cluster the demo starts",
      default: 30080,
    },
    {
      name: 'no-sample',
      type: 'bool',
      help: 'Do not deploy the sample Service on a cluster the demo starts',
    },
  ],
  run: async (inv) => {
    if (inv.args[0] !== 'failover' || inv.args.length > 1)
      throw usageError('unknown demo', 'Usage: kedge demo failover [--rounds N] [--non-interactive]');
    const rounds = inv.flags.int('rounds') ?? 3;
    if (rounds < 1) throw usageError('--rounds must be at least 1');
    const tty = !inv.flags.bool('non-interactive') && (inv.io.stdout as { isTTY?: boolean }).isTTY === true;
    let snapshot: ((events: readonly string[]) => LiveSnapshot) | undefined;
    let view = createDemoView({
      out: inv.out,
      tty: false,
      colors: inv.colors,
      snapshot: () => snapshot!([]),
      clock,
    });
    const dir = inv.flags.string('dir');
    const outcome = await runFailoverDemo({
      ...(dir !== undefined ? { dir } : {}),
      agents: inv.flags.int('agents') ?? 3,
      rounds,
      basePort: inv.flags.int('base-port') ?? 16400,
      nodePort: inv.flags.int('node-port') ?? 30080,
      sample: !inv.flags.bool('no-sample'),
      signal: inv.signal,
      progress: (line) => inv.err(`${line}\n`),
      emit: (event) => view.emit(event),
      attachSnapshot: (source) => {
        snapshot = source;
        if (tty)
          view = createDemoView({ out: inv.out, tty: true, colors: inv.colors, snapshot: source, clock });
      },
    }).finally(() => view.close());
    inv.out(`\n${summaryText(outcome)}`);
    return judge(outcome).passed ? 0 : 1;
  },
};

/** Wall-clock time of day for event lines, to the millisecond. */
const clock = () => new Date().toISOString().slice(11, 23);
