// `kedge node cordon|uncordon|drain NODE`: keep new pods off a node, let them back, or empty it
// before maintenance (cli/src/drain/).
import type { CommandSpec } from '../command.ts';
import { drainNode, setUnschedulable } from '../drain/node-drain.ts';
import { usageError } from '../errors.ts';
import { durationMs } from './rollout.ts';

const USAGE = 'kedge node cordon|uncordon|drain NODE';

export const nodeCommand: CommandSpec = {
  name: 'node',
  group: 'cluster',
  summary: 'Cordon, uncordon or drain a node',
  usage: `${USAGE} [drain flags]

  cordon    mark the node unschedulable: running pods stay, new ones go elsewhere
  uncordon  mark it schedulable again
  drain     cordon it, then delete its pods (their controllers recreate them on other nodes) and
            wait until they are gone; DaemonSet pods and pods no controller owns stop the drain
            unless --ignore-daemonsets / --force

Examples:
  kedge node drain agent-2 --ignore-daemonsets --timeout 2m
  kedge node uncordon agent-2`,
  subcommands: ['cordon', 'uncordon', 'drain'],
  flags: [
    { name: 'ignore-daemonsets', type: 'bool', help: 'drain: leave DaemonSet-managed pods in place' },
    {
      name: 'force',
      type: 'bool',
      help: 'drain: also delete pods that no controller owns (they are not recreated)',
    },
    {
      name: 'delete-emptydir-data',
      type: 'bool',
      help: 'drain: also delete pods with emptyDir data (it is lost)',
    },
    {
      name: 'grace-period',
      type: 'int',
      help: "drain: seconds each pod gets to stop; -1 uses the pod's terminationGracePeriodSeconds",
      default: -1,
    },
    {
      name: 'timeout',
      type: 'string',
      help: 'drain: give up after this long (0 waits for ever), e.g. 90s',
      default: '0s',
    },
  ],
  run: async (inv) => {
    const [verb, node, ...rest] = inv.args;
    if (verb === undefined || !['cordon', 'uncordon', 'drain'].includes(verb))
      throw usageError(
        verb === undefined ? 'say what to do with the node' : `unknown node command "${verb}"`,
        `Usage: ${USAGE}`,
      );
    if (node === undefined || rest.length > 0)
      throw usageError(`${verb} takes exactly one node name`, `Usage: ${USAGE}`);
    const client = inv.client();
    if (verb === 'drain') {
      const timeout = inv.flags.string('timeout') ?? '0s';
      await drainNode(client, {
        node,
        ignoreDaemonsets: inv.flags.bool('ignore-daemonsets'),
        force: inv.flags.bool('force'),
        deleteEmptydirData: inv.flags.bool('delete-emptydir-data'),
        gracePeriod: inv.flags.int('grace-period') ?? -1,
        timeoutMs: timeout === '0s' ? 0 : durationMs(timeout),
        signal: inv.signal,
        say: (line) => inv.out(`${line}\n`),
        warn: (line) => inv.err(`${line}\n`),
      });
      return 0;
    }
    const changed = await setUnschedulable(client, node, verb === 'cordon');
    inv.out(`node/${node} ${changed ? '' : 'already '}${verb}ed\n`);
    return 0;
  },
};
