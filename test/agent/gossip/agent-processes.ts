import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EndpointEntry } from '@kedge/proxy';
import type { GossipTiming } from '../../../agent/src/gossip/gossip-host.ts';
import type { PlannedNode } from './cluster-fixture.ts';

const NODE = join(process.cwd(), 'node_modules/.bin/node');
const SCRIPT = join(process.cwd(), 'agent/src/gossip/gossip-agent-process.ts');

export interface AgentEvent {
  event: 'ready' | 'member' | 'endpoints';
  at: number;
  nodeId?: string;
  status?: string;
  view?: Record<string, { ip: string; ready: boolean }[]>;
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
    }),
  );
  const child = spawn(NODE, [SCRIPT, config], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new AgentProcess(node.nodeId, child);
}
