/**
 * The FailedScheduling message, as kube-scheduler's FitError prints it:
 *   0/3 nodes are available: 1 node(s) had untolerated taint {node-role: edge}, 2 Insufficient cpu.
 * Each node adds one count per reason it failed with (a node short of cpu and memory counts twice);
 * the "count reason" strings are sorted as strings (Go's sort.Strings), so order follows the text,
 * not the counts. A pod-wide rejection (a missing claim) replaces the histogram.
 */

export interface Diagnosis {
  readonly numAllNodes: number;
  /** reason -> number of nodes that gave it. */
  readonly reasonCounts: ReadonlyMap<string, number>;
  /** Set when the pod was rejected before any node was looked at. */
  readonly preFilterMessage?: string;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortedReasonHistogram(counts: ReadonlyMap<string, number>): string[] {
  return [...counts].map(([reason, n]) => `${n} ${reason}`).sort(byteOrder);
}

/** The message for a pod no node can take; `postFilterMessage` is preemption's own account, if any. */
export function fitErrorMessage(d: Diagnosis, postFilterMessage?: string): string {
  if (d.numAllNodes === 0 && d.preFilterMessage === undefined) return 'no nodes available to schedule pods';
  let msg = `0/${d.numAllNodes} nodes are available:`;
  if (d.preFilterMessage !== undefined) msg += ` ${d.preFilterMessage}.`;
  else {
    const histogram = sortedReasonHistogram(d.reasonCounts);
    if (histogram.length > 0) msg += ` ${histogram.join(', ')}.`;
  }
  if (postFilterMessage !== undefined && postFilterMessage !== '') msg += ` ${postFilterMessage}`;
  return msg;
}
