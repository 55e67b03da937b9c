/**
 * Per-node CPU and memory series for the charts, from metrics API samples: usage as a share of
 * the Node's allocatable (else capacity). A sample is added once (by its timestamp) and the
 * oldest fall off, so polling faster than the agent measures draws no fake points.
 */
import { parseQuantity } from './quantity.js';

/** @typedef {import('./kube-types.js').Node} Node */
/** @typedef {import('./kube-types.js').NodeMetricsList} NodeMetricsList */
/** @typedef {{ t: number[], cpu: (number | null)[], memory: (number | null)[], cpuCores: number, memoryBytes: number }} NodeSeries */

/**
 * @param {Map<string, NodeSeries>} history by node name; changed in place
 * @param {NodeMetricsList} list
 * @param {(name: string) => Node | undefined} nodeByName
 * @param {number} [maxPoints]
 * @returns {string[]} the nodes that got a new point
 */
export function recordSamples(history, list, nodeByName, maxPoints = 180) {
  /** @type {string[]} */
  const updated = [];
  for (const sample of list.items) {
    const name = sample.metadata.name;
    const node = nodeByName(name);
    const resources = node?.status?.allocatable ?? node?.status?.capacity;
    const cpuTotal = parseQuantity(resources?.cpu);
    const memoryTotal = parseQuantity(resources?.memory);
    const t = Date.parse(sample.timestamp) / 1000;
    if (!Number.isFinite(t)) continue;
    let series = history.get(name);
    if (series === undefined) {
      series = { t: [], cpu: [], memory: [], cpuCores: 0, memoryBytes: 0 };
      history.set(name, series);
    }
    const last = series.t.at(-1);
    if (last !== undefined && t <= last) continue;
    const cpuCores = parseQuantity(sample.usage.cpu);
    const memoryBytes = parseQuantity(sample.usage.memory);
    series.t.push(t);
    series.cpu.push(percent(cpuCores, cpuTotal));
    series.memory.push(percent(memoryBytes, memoryTotal));
    series.cpuCores = cpuCores;
    series.memoryBytes = memoryBytes;
    if (series.t.length > maxPoints) {
      series.t.shift();
      series.cpu.shift();
      series.memory.shift();
    }
    updated.push(name);
  }
  return updated;
}

/**
 * The chart's time axis (seconds) as uPlot's x range function: at least `minSpan` wide, ending at
 * the newest sample. Agents measure every few seconds, so a fresh card has one point, which uPlot
 * alone spreads over a day after it (years on the axis); the series then grows from the right
 * edge. Any other range is the user's zoom and is kept.
 * @param {number | null} min what uPlot proposes
 * @param {number | null} max
 * @param {ArrayLike<number>} times the series' timestamps, oldest first
 * @param {number} [minSpan]
 * @returns {[number | null, number | null]}
 */
export function chartTimeRange(min, max, times, minSpan = 60) {
  const first = times[0];
  const last = times[times.length - 1];
  if (min == null || max == null || first === undefined || last === undefined) return [min, max];
  const proposedForData = min === first && (max === last || times.length === 1);
  if (!proposedForData) return [min, max];
  return [Math.min(first, last - minSpan), last];
}

/**
 * @param {number} used
 * @param {number} total
 */
function percent(used, total) {
  // null is a gap in the chart: a sample we cannot relate to the node's size is not drawn as 0.
  if (!Number.isFinite(used) || !Number.isFinite(total) || total <= 0) return null;
  return Math.round((used / total) * 1000) / 10;
}
