import { parseStatsRecord, type StatsSample } from './podman-json.ts';
import type { ContainerStats } from './runtime.ts';

/** CPU use as a rate: each container's previous stats sample, kept for the next one. */
export class StatsRates {
  readonly #lastSample = new Map<string, StatsSample>();

  /** Stats records (podman's or docker's) for the asked ids as ContainerStats, CPU as a rate. */
  rates(records: readonly Record<string, unknown>[], ids: readonly string[], now: Date): ContainerStats[] {
    const out: ContainerStats[] = [];
    for (const record of records) {
      const sample = parseStatsRecord(record);
      if (!sample) continue;
      const fullId = ids.find((id) => sample.id.startsWith(id) || id.startsWith(sample.id)) ?? sample.id;
      const previous = this.#lastSample.get(fullId);
      this.#lastSample.set(fullId, sample);
      const nanoCores = cpuNanoCores(previous, sample);
      out.push({
        id: fullId,
        cpuNanoCores: nanoCores,
        cpuPercent: nanoCores / 1e7,
        cpuUsageCoreNanoSeconds: sample.cpuTotalNanos ?? 0,
        memoryWorkingSetBytes: sample.memoryBytes,
        memoryLimitBytes: sample.memoryLimitBytes,
        pids: sample.pids,
        timestamp: now,
      });
    }
    return out;
  }
}

/**
 * CPU use as a rate between two samples of cumulative CPU time; without an earlier sample, the
 * runtime's own percentage (podman's is the average since the container started).
 */
export function cpuNanoCores(previous: StatsSample | undefined, current: StatsSample): number {
  if (
    previous?.cpuTotalNanos !== undefined &&
    previous.sampledAtNanos !== undefined &&
    current.cpuTotalNanos !== undefined &&
    current.sampledAtNanos !== undefined &&
    current.sampledAtNanos > previous.sampledAtNanos &&
    current.cpuTotalNanos >= previous.cpuTotalNanos
  ) {
    return Math.round(
      ((current.cpuTotalNanos - previous.cpuTotalNanos) /
        (current.sampledAtNanos - previous.sampledAtNanos)) *
        1e9,
    );
  }
  return Math.round(current.cpuPercent * 1e7);
}
