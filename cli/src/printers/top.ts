/**
 * `kedge top nodes|pods` rows from metrics.k8s.io: CPU in millicores (`250m`), memory in MiB
 * (`512Mi`), and for nodes the share of allocatable, as kubectl prints them. Pure.
 */
import { type KubeObject, type Node, quantityMilliValue, quantityValue } from '../api.ts';

export interface NodeMetrics extends KubeObject {
  readonly usage: Record<string, string>;
}
export interface PodMetrics extends KubeObject {
  readonly containers: readonly { readonly name: string; readonly usage: Record<string, string> }[];
}

const cpuText = (milli: bigint) => `${milli}m`;
const memText = (bytes: bigint) => `${bytes / (1024n * 1024n)}Mi`;
const percent = (used: bigint, of: bigint) => (of > 0n ? `${(used * 100n) / of}%` : '<unknown>');
const milli = (q: string | undefined) => (q ? quantityMilliValue(q) : 0n);
const bytes = (q: string | undefined) => (q ? quantityValue(q) : 0n);

export function nodeTopRows(
  metrics: readonly NodeMetrics[],
  nodes: readonly Node[],
): { header: string[]; rows: string[][] } {
  const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
  const rows = [...metrics]
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .map((m) => {
      const alloc = byName.get(m.metadata.name)?.status?.allocatable ?? {};
      const cpu = milli(m.usage.cpu);
      const mem = bytes(m.usage.memory);
      return [
        m.metadata.name ?? '',
        cpuText(cpu),
        percent(cpu, milli(alloc.cpu)),
        memText(mem),
        percent(mem, bytes(alloc.memory)),
      ];
    });
  // Nodes the metrics API has no sample for yet, as kubectl lists them.
  for (const n of nodes)
    if (!metrics.some((m) => m.metadata.name === n.metadata.name))
      rows.push([n.metadata.name ?? '', '<unknown>', '<unknown>', '<unknown>', '<unknown>']);
  return { header: ['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'], rows };
}

export function podTopRows(
  metrics: readonly PodMetrics[],
  o: { readonly containers: boolean; readonly namespaceColumn: boolean },
): { header: string[]; rows: string[][] } {
  const ns = (m: PodMetrics) => (o.namespaceColumn ? [m.metadata.namespace ?? ''] : []);
  const sorted = [...metrics].sort(
    (a, b) =>
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  const head = o.namespaceColumn ? ['NAMESPACE'] : [];
  if (o.containers)
    return {
      header: [...head, 'POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      rows: sorted.flatMap((m) =>
        m.containers.map((c) => [
          ...ns(m),
          m.metadata.name ?? '',
          c.name,
          cpuText(milli(c.usage.cpu)),
          memText(bytes(c.usage.memory)),
        ]),
      ),
    };
  return {
    header: [...head, 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
    rows: sorted.map((m) => {
      const cpu = m.containers.reduce((s, c) => s + milli(c.usage.cpu), 0n);
      const mem = m.containers.reduce((s, c) => s + bytes(c.usage.memory), 0n);
      return [...ns(m), m.metadata.name ?? '', cpuText(cpu), memText(mem)];
    }),
  };
}
