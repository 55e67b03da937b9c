/**
 * Registration and heartbeat of this node: creates the Node object if it is missing, refreshes its
 * status every `statusIntervalMs` from a fresh measurement, and renews the node's Lease in
 * kube-node-lease every `leaseRenewMs` (the cheap heartbeat the node controller watches).
 */
import { readFile } from 'node:fs/promises';
import { arch, release } from 'node:os';
import { StatusError } from '../api/errors.ts';
import type { Lease } from '../api/types/coordination.ts';
import type { Node, NodeAddress } from '../api/types/core.ts';
import { measureNode, type NodeProbe, systemProbe } from '../metrics/node-metrics.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { NodeClient } from './node-client.ts';
import { buildNodeStatus } from './node-status.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeHeartbeatOptions {
  readonly nodeName: string;
  readonly client: NodeClient;
  readonly runtime: ContainerRuntime;
  readonly dataDir: string;
  readonly addresses: readonly NodeAddress[];
  readonly kubeletVersion: string;
  readonly maxPods: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly statusIntervalMs: number;
  readonly leaseRenewMs: number;
  readonly leaseDurationSeconds: number;
  readonly probe?: NodeProbe;
  readonly log: (message: string) => void;
}

async function osImage(): Promise<string> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'Linux';
}

async function pidCounts(): Promise<{ running: number; max: number } | undefined> {
  const [max, loadavg] = await Promise.all([
    readFile('/proc/sys/kernel/pid_max', 'utf8').catch(() => ''),
    readFile('/proc/loadavg', 'utf8').catch(() => ''),
  ]);
  const total = /\d+\/(\d+)/.exec(loadavg)?.[1];
  if (!max || !total) return undefined;
  return { running: Number(total), max: Number(max) };
}

/** Status writes that meet a Conflict are retried on a fresh read this many times in all. */
const STATUS_UPDATE_TRIES = 5;

export class NodeHeartbeat {
  readonly #o: NodeHeartbeatOptions;
  readonly #probe: NodeProbe;
  #statusTimer: NodeJS.Timeout | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: NodeHeartbeatOptions) {
    this.#o = options;
    this.#probe = options.probe ?? systemProbe();
  }

  async start(): Promise<void> {
    await this.updateStatus();
    await this.renewLease();
    const loop = (fn: () => Promise<void>, ms: number, set: (t: NodeJS.Timeout) => void) => {
      const tick = async () => {
        if (this.#stopped) return;
        await fn().catch((err: Error) => this.#o.log(`node heartbeat: ${err.message}`));
        if (!this.#stopped) set(setTimeout(tick, ms));
      };
      set(setTimeout(tick, ms));
    };
    loop(
      () => this.updateStatus(),
      this.#o.statusIntervalMs,
      (t) => {
        this.#statusTimer = t;
      },
    );
    loop(
      () => this.renewLease(),
      this.#o.leaseRenewMs,
      (t) => {
        this.#leaseTimer = t;
      },
    );
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#statusTimer);
    clearTimeout(this.#leaseTimer);
  }

  /**
   * Measures the node and writes the Node object's status (creating the Node first if needed).
   * The node lifecycle controller writes taints and conditions on the same object, so a write can
   * meet a Conflict: read the node again and retry, as Kubernetes' kubelet does (5 tries).
   */
  async updateStatus(): Promise<void> {
    const o = this.#o;
    for (let attempt = 1; ; attempt++) {
      const out = await this.#writeStatus();
      if (!(out instanceof StatusError)) return;
      if (out.reason !== 'Conflict' || attempt >= STATUS_UPDATE_TRIES)
        throw new Error(`cannot update node ${o.nodeName} status: ${out.message}`);
    }
  }

  async #writeStatus(): Promise<Node | StatusError> {
    const o = this.#o;
    let node = await o.client.getNode(o.nodeName);
    if (node instanceof StatusError) {
      if (node.reason !== 'NotFound') throw new Error(`cannot read node ${o.nodeName}: ${node.message}`);
      const fresh: Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: o.nodeName,
          labels: {
            'kubernetes.io/hostname': o.nodeName,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': arch() === 'x64' ? 'amd64' : arch(),
            ...o.labels,
          },
        },
        spec: {},
      };
      const created = await o.client.createNode(fresh);
      if (created instanceof StatusError)
        throw new Error(`cannot register node ${o.nodeName}: ${created.message}`);
      node = created;
    }
    const [sample, image, pids, version] = await Promise.all([
      measureNode(o.dataDir, this.#probe),
      osImage(),
      pidCounts(),
      o.runtime.version().then(
        (v) => ({ ok: true as const, v }),
        (err: Error) => ({ ok: false as const, message: err.message }),
      ),
    ]);
    const status = buildNodeStatus(
      {
        sample,
        maxPods: o.maxPods,
        addresses: o.addresses,
        kubeletVersion: o.kubeletVersion,
        containerRuntimeVersion: version.ok ? `${version.v.name}://${version.v.version}` : 'unknown',
        osImage: image,
        kernelVersion: release(),
        architecture: arch() === 'x64' ? 'amd64' : arch(),
        ...(pids ? { pids } : {}),
        runtimeReady: version.ok,
        ...(version.ok ? {} : { runtimeMessage: version.message }),
      },
      node.status,
      new Date(),
    );
    return o.client.updateNodeStatus({ ...node, status });
  }

  async renewLease(): Promise<void> {
    const o = this.#o;
    const now = new Date().toISOString().replace('Z', '000Z');
    const lease = await o.client.getLease(NODE_LEASE_NAMESPACE, o.nodeName);
    if (lease instanceof StatusError) {
      if (lease.reason !== 'NotFound') throw new Error(`cannot read lease: ${lease.message}`);
      const fresh: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: o.nodeName, namespace: NODE_LEASE_NAMESPACE },
        spec: {
          holderIdentity: o.nodeName,
          leaseDurationSeconds: o.leaseDurationSeconds,
          acquireTime: now,
          renewTime: now,
        },
      };
      const created = await o.client.createLease(fresh);
      if (created instanceof StatusError) throw new Error(`cannot create lease: ${created.message}`);
      return;
    }
    const renewed = await o.client.updateLease({ ...lease, spec: { ...lease.spec, renewTime: now } });
    if (renewed instanceof StatusError) throw new Error(`cannot renew lease: ${renewed.message}`);
  }
}
