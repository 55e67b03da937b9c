import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EndpointEntry, ProxyService } from '@kedge/proxy';
import type { GossipTiming } from '../../../agent/src/gossip/gossip-host.ts';
import type { PlannedNode } from './cluster-fixture.ts';

const NODE = join(process.cwd(), 'node_modules/.bin/node');
const SCRIPT = join(process.cwd(), 'agent/src/gossip/gossip-agent-process.ts');

export interface AgentEvent {
  event: 'ready' | 'member' | 'endpoints' | 'status';
  at: number;
  nodeId?: string;
  status?: string;
  view?: Record<string, { ip: string; ready: boolean }[]>;
  /** status: the agent's local health score and membership digest. */
  health?: number;
  members?: { nodeId: string; status: string; incarnation: number }[];
}

/** One gossip agent running as its own OS process, with the events it printed so far. */
export class AgentProcess {
  readonly nodeId: string;
  readonly child: ChildProcess;
  readonly events: AgentEvent[] = [];
  readonly stderr: string[] = [];
  view: Record<string, { ip: string; ready: boolean }[]> = {};

  constructor(nodeId: string, child: ChildProcess) {
    this.nodeId = nodeId;
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as AgentEvent;
      this.events.push(e);
      if (e.view) this.view = e.view;
    });
    child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
  }

  setEndpoints(endpoints: EndpointEntry[]): void {
    this.child.stdin!.write(`${JSON.stringify({ endpoints })}\n`);
  }

  /** Hogs the agent's event loop for `ms` (an overloaded or stuck agent). */
  block(ms: number): void {
    this.child.stdin!.write(`${JSON.stringify({ blockMs: ms })}\n`);
  }

  /** Asks for a status event (health score, membership digest). */
  requestStatus(): void {
    this.child.stdin!.write(`${JSON.stringify({ status: true })}\n`);
  }

  lastStatus(): AgentEvent | undefined {
    return this.events.findLast((e) => e.event === 'status');
  }

  /** When this agent declared `nodeId` dead (first time at or after `since`), if it did. */
  deadAt(nodeId: string, since = 0): number | undefined {
    return this.events.find(
      (e) => e.event === 'member' && e.nodeId === nodeId && e.status === 'dead' && e.at >= since,
    )?.at;
  }

  /** Members this agent declared dead at or after `since`. */
  deathsSince(since: number): string[] {
    return this.events
      .filter((e) => e.event === 'member' && e.status === 'dead' && e.at >= since)
      .map((e) => e.nodeId!);
  }

  readyIps(service = 'default/web'): string[] {
    return (this.view[service] ?? []).filter((e) => e.ready).map((e) => e.ip);
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.alive()) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill(signal);
    await exited;
  }
}

export async function spawnAgent(
  node: PlannedNode,
  members: PlannedNode[],
  timing?: Partial<GossipTiming>,
  proxy?: { services: ProxyService[]; nodeAddresses: string[] },
): Promise<AgentProcess> {
  const config = join(node.dataDir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      nodeId: node.nodeId,
      dataDir: node.dataDir,
      listen: [node.listen],
      members: members.map((m) => m.member),
      ...(timing ? { timing } : {}),
      ...(proxy ? { proxy } : {}),
    }),
  );
  const child = spawn(NODE, [SCRIPT, config], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new AgentProcess(node.nodeId, child);
}

/**
 * Busy processes that keep the CPUs saturated, so that the agents run starved and late, as on a
 * loaded edge box. Stop them with stop() (also on test failure).
 */
export function startCpuBurners(count: number): { stop: () => Promise<void> } {
  const burners = Array.from({ length: count }, () =>
    spawn(NODE, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  return {
    stop: async () => {
      await Promise.all(
        burners.map(async (b) => {
          if (b.exitCode !== null || b.signalCode !== null) return;
          const exited = new Promise((r) => b.once('exit', r));
          b.kill('SIGKILL');
          await exited;
        }),
      );
    },
  };
}
