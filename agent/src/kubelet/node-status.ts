/**
 * The Node object's status as a pure function of a measurement of this machine: capacity and
 * allocatable (cpu, memory, ephemeral-storage, pods), the conditions Ready, MemoryPressure,
 * DiskPressure and PIDPressure with Kubernetes' reasons, addresses and nodeInfo.
 */
import type { NodeAddress, NodeStatus } from '../api/types/core.ts';
import type { Condition } from '../api/types/meta.ts';
import {
  allocatableOf,
  capacityOf,
  type NodeCapacity,
  type NodeReservations,
  type NodeSample,
  noReservations,
  pressureOf,
} from '../metrics/node-metrics.ts';

export interface NodeFacts {
  readonly sample: NodeSample;
  readonly maxPods: number;
  readonly reservations?: NodeReservations;
  readonly addresses: readonly NodeAddress[];
  readonly kubeletVersion: string;
  /** e.g. `podman://4.3.1` */
  readonly containerRuntimeVersion: string;
  readonly osImage: string;
  readonly kernelVersion: string;
  readonly architecture: string;
  /** Processes on the node and the kernel's limit, for PIDPressure. */
  readonly pids?: { readonly running: number; readonly max: number };
  /** Whether the runtime answered; a node whose runtime is down is not Ready. */
  readonly runtimeReady: boolean;
  readonly runtimeMessage?: string;
}

export function resourceList(c: NodeCapacity): Record<string, string> {
  return {
    cpu: `${c.cpuMillis % 1000 === 0 ? c.cpuMillis / 1000 : `${c.cpuMillis}m`}`,
    memory: `${Math.floor(c.memoryBytes / 1024)}Ki`,
    'ephemeral-storage': `${Math.floor(c.ephemeralStorageBytes / 1024)}Ki`,
    pods: String(c.pods),
  };
}

function cond(
  type: string,
  status: boolean,
  reason: string,
  message: string,
  previous: readonly Condition[],
  now: string,
): Condition {
  const s = status ? 'True' : 'False';
  const before = previous.find((c) => c.type === type);
  return {
    type,
    status: s,
    lastHeartbeatTime: now,
    lastTransitionTime: before?.status === s && before.lastTransitionTime ? before.lastTransitionTime : now,
    reason,
    message,
  };
}

export function buildNodeStatus(facts: NodeFacts, previous: NodeStatus | undefined, now: Date): NodeStatus {
  const t = `${now.toISOString().slice(0, 19)}Z`;
  const prev = previous?.conditions ?? [];
  const capacity = capacityOf(facts.sample, facts.maxPods);
  const allocatable = allocatableOf(capacity, facts.reservations ?? noReservations);
  const pressure = pressureOf(facts.sample);
  const pidPressure = facts.pids !== undefined && facts.pids.running > 0.9 * facts.pids.max;
  return {
    capacity: resourceList(capacity),
    allocatable: resourceList(allocatable),
    conditions: [
      pressure.memoryPressure
        ? cond(
            'MemoryPressure',
            true,
            'KubeletHasInsufficientMemory',
            'kubelet has insufficient memory available',
            prev,
            t,
          )
        : cond(
            'MemoryPressure',
            false,
            'KubeletHasSufficientMemory',
            'kubelet has sufficient memory available',
            prev,
            t,
          ),
      pressure.diskPressure
        ? cond('DiskPressure', true, 'KubeletHasDiskPressure', 'kubelet has disk pressure', prev, t)
        : cond('DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', prev, t),
      pidPressure
        ? cond(
            'PIDPressure',
            true,
            'KubeletHasInsufficientPID',
            'kubelet has insufficient PID available',
            prev,
            t,
          )
        : cond(
            'PIDPressure',
            false,
            'KubeletHasSufficientPID',
            'kubelet has sufficient PID available',
            prev,
            t,
          ),
      facts.runtimeReady
        ? cond('Ready', true, 'KubeletReady', 'kubelet is posting ready status', prev, t)
        : cond(
            'Ready',
            false,
            'KubeletNotReady',
            `container runtime is down: ${facts.runtimeMessage ?? 'no answer'}`,
            prev,
            t,
          ),
    ],
    addresses: [...facts.addresses],
    nodeInfo: {
      kubeletVersion: facts.kubeletVersion,
      containerRuntimeVersion: facts.containerRuntimeVersion,
      osImage: facts.osImage,
      kernelVersion: facts.kernelVersion,
      architecture: facts.architecture,
      operatingSystem: 'linux',
    },
  };
}
