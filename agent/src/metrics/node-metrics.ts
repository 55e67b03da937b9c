import { statfs } from 'node:fs/promises';
import { loadavg } from 'node:os';
import si from 'systeminformation';

/** One measurement of this machine. */
export interface NodeSample {
  readonly timestamp: Date;
  /** Logical CPUs (what Kubernetes counts as cores). */
  readonly cpuCores: number;
  readonly cpuModel: string;
  /** Share of all cores busy since the previous sample, 0-100. */
  readonly cpuUsagePercent: number;
  /** The same in cores (2 cores half busy = 1). */
  readonly cpuUsageCores: number;
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
  readonly memoryTotalBytes: number;
  /** Memory that can be had without swapping (the kernel's MemAvailable). */
  readonly memoryAvailableBytes: number;
  /** total - available: what the kubelet calls the node's working set. */
  readonly memoryWorkingSetBytes: number;
  /** The file system that holds the agent's data dir (volumes, logs). */
  readonly diskPath: string;
  readonly diskTotalBytes: number;
  readonly diskAvailableBytes: number;
}

/** Kubernetes' resource quantities of a node, in the units the scheduler compares. */
export interface NodeCapacity {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly ephemeralStorageBytes: number;
  readonly pods: number;
}

/** What the node keeps for itself and the system (kube-reserved + system-reserved + eviction). */
export type NodeReservations = NodeCapacity;

export const noReservations: NodeReservations = {
  cpuMillis: 0,
  memoryBytes: 0,
  ephemeralStorageBytes: 0,
  pods: 0,
};

export function capacityOf(sample: NodeSample, maxPods: number): NodeCapacity {
  return {
    cpuMillis: sample.cpuCores * 1000,
    memoryBytes: sample.memoryTotalBytes,
    ephemeralStorageBytes: sample.diskTotalBytes,
    pods: maxPods,
  };
}

/** Capacity minus reservations, never below zero. */
export function allocatableOf(capacity: NodeCapacity, reserved: NodeReservations): NodeCapacity {
  return {
    cpuMillis: Math.max(0, capacity.cpuMillis - reserved.cpuMillis),
    memoryBytes: Math.max(0, capacity.memoryBytes - reserved.memoryBytes),
    ephemeralStorageBytes: Math.max(0, capacity.ephemeralStorageBytes - reserved.ephemeralStorageBytes),
    pods: Math.max(0, capacity.pods - reserved.pods),
  };
}

export interface PressureThresholds {
  /** MemoryPressure below this much available memory (kubelet default eviction: 100Mi). */
  readonly memoryAvailableBytes: number;
  /** DiskPressure below this share of the data dir's file system free (kubelet default: 10%). */
  readonly diskAvailableFraction: number;
}

export const defaultPressureThresholds: PressureThresholds = {
  memoryAvailableBytes: 100 * 1024 * 1024,
  diskAvailableFraction: 0.1,
};

/** The node conditions that follow from a sample. */
export function pressureOf(sample: NodeSample, thresholds = defaultPressureThresholds) {
  return {
    memoryPressure: sample.memoryAvailableBytes < thresholds.memoryAvailableBytes,
    diskPressure:
      sample.diskTotalBytes > 0 &&
      sample.diskAvailableBytes / sample.diskTotalBytes < thresholds.diskAvailableFraction,
  };
}

/** Where the measurements come from; tests and other platforms can hand in their own. */
export interface NodeProbe {
  cpu(): Promise<{ cores: number; model: string }>;
  /** Busy share of all cores since the previous call, 0-100. */
  cpuUsagePercent(): Promise<number>;
  memory(): Promise<{ total: number; available: number }>;
  disk(path: string): Promise<{ total: number; available: number }>;
  load(): [number, number, number];
}

/**
 * systeminformation for CPU and memory (/proc/stat, /proc/meminfo), statfs for the disk (it
 * measures the file system of exactly the data dir, where si.fsSize would spawn `df`).
 */
export function systemProbe(): NodeProbe {
  let cpuInfo: Promise<{ cores: number; model: string }> | undefined;
  return {
    cpu() {
      // The CPU does not change while we run; si.cpu() costs ~50 ms, so ask once.
      cpuInfo ??= si.cpu().then((c) => ({ cores: c.cores, model: `${c.manufacturer} ${c.brand}`.trim() }));
      return cpuInfo;
    },
    async cpuUsagePercent() {
      return (await si.currentLoad()).currentLoad;
    },
    async memory() {
      const m = await si.mem();
      return { total: m.total, available: m.available };
    },
    async disk(path) {
      const s = await statfs(path);
      return { total: s.blocks * s.bsize, available: s.bavail * s.bsize };
    },
    load() {
      const [a = 0, b = 0, c = 0] = loadavg();
      return [a, b, c];
    },
  };
}

/** Measures the node once. The CPU figure covers the time since the probe's previous call. */
export async function measureNode(dataDir: string, probe: NodeProbe = systemProbe()): Promise<NodeSample> {
  const [cpu, usage, memory, disk] = await Promise.all([
    probe.cpu(),
    probe.cpuUsagePercent(),
    probe.memory(),
    probe.disk(dataDir),
  ]);
  const [load1, load5, load15] = probe.load();
  const cpuUsagePercent = Number.isFinite(usage) ? Math.min(100, Math.max(0, usage)) : 0;
  return {
    timestamp: new Date(),
    cpuCores: cpu.cores,
    cpuModel: cpu.model,
    cpuUsagePercent,
    cpuUsageCores: (cpuUsagePercent / 100) * cpu.cores,
    load1,
    load5,
    load15,
    memoryTotalBytes: memory.total,
    memoryAvailableBytes: memory.available,
    memoryWorkingSetBytes: Math.max(0, memory.total - memory.available),
    diskPath: dataDir,
    diskTotalBytes: disk.total,
    diskAvailableBytes: disk.available,
  };
}
