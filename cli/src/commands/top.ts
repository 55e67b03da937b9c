/** `kedge top nodes|pods`: resource usage from the metrics API (metrics.k8s.io/v1beta1). */
import type { KubeList, Node, ResourceInfo } from '../api.ts';
import { resolveResource } from '../api.ts';
import { ApiError } from '../client/api-error.ts';
import { NODE_METRICS, POD_METRICS } from '../client/resources.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { formatTable } from '../printers/table.ts';
import { type NodeMetrics, nodeTopRows, type PodMetrics, podTopRows } from '../printers/top.ts';

export const topCommand: CommandSpec = {
  name: 'top',
  group: 'inspect',
  summary: 'Show CPU and memory use of nodes or pods',
  usage: `kedge top nodes [NAME]
  kedge top pods [NAME] [-A] [--containers] [-l SELECTOR]`,
  subcommands: ['nodes', 'pods'],
  flags: [
    { name: 'all-namespaces', short: 'A', type: 'bool', help: 'Pods in every namespace' },
    { name: 'containers', type: 'bool', help: 'One line per container' },
    { name: 'selector', short: 'l', type: 'string', help: 'Label selector' },
    { name: 'no-headers', type: 'bool', help: 'Do not print the header line' },
  ],
  run: runTop,
};

async function runTop(inv: Invocation): Promise<number> {
  const [what, name] = inv.args;
  const client = inv.client();
  const sel = inv.flags.string('selector');
  const opts = sel ? { labelSelector: sel } : {};
  const unavailable = (e: unknown) => {
    if (e instanceof ApiError && e.code === 404)
      return new CliError(
        'Server',
        'Metrics API not available',
        'error: Metrics API not available; the agents serve metrics.k8s.io once their kubelets report usage',
      );
    return e;
  };
  let out: { header: string[]; rows: string[][] };
  if (what === 'nodes' || what === 'node' || what === 'no') {
    let metrics: NodeMetrics[];
    try {
      metrics = name
        ? [await client.get<NodeMetrics>(NODE_METRICS, undefined, name)]
        : (await client.list<NodeMetrics>(NODE_METRICS, undefined, opts)).items;
    } catch (e) {
      throw unavailable(e);
    }
    const nodesInfo = resolveResource('nodes') as ResourceInfo;
    const nodes: Node[] = name
      ? [await client.get<Node>(nodesInfo, undefined, name)]
      : ((await client.list<Node>(nodesInfo, undefined, opts)) as KubeList<Node>).items;
    out = nodeTopRows(metrics, nodes);
  } else if (what === 'pods' || what === 'pod' || what === 'po') {
    const all = inv.flags.bool('all-namespaces');
    const ns = all ? undefined : inv.namespace();
    let metrics: PodMetrics[];
    try {
      metrics = name
        ? [await client.get<PodMetrics>(POD_METRICS, ns, name)]
        : (await client.list<PodMetrics>(POD_METRICS, ns, opts)).items;
    } catch (e) {
      throw unavailable(e);
    }
    if (metrics.length === 0) {
      inv.err(ns ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
      return 0;
    }
    out = podTopRows(metrics, { containers: inv.flags.bool('containers'), namespaceColumn: all });
  } else throw usageError(`unknown top subcommand "${what ?? ''}"`, 'Use kedge top nodes or kedge top pods.');
  inv.out(formatTable(inv.flags.bool('no-headers') ? undefined : out.header, out.rows));
  return 0;
}
