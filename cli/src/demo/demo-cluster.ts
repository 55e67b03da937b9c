/**
 * The local cluster the demo runs on: the one `kedge up` left in a directory when its agents are
 * alive, else a new one in a temporary directory that the demo stops and removes afterwards.
 * Killing and restarting agents goes through here so that cluster.json keeps naming the live
 * pids (`kedge down` stops exactly those).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeJsonFile } from '../../../agent/src/cluster/data-dir.ts';
import {
  down,
  type LocalClusterFile,
  readLocalCluster,
  spawnAgent,
  up,
} from '../../../agent/src/cluster/local-cluster.ts';
import type { DemoAgent } from './agent-watch.ts';

export interface DemoCluster {
  readonly dir: string;
  /** Whether the demo started it (and so stops and removes it). */
  readonly owned: boolean;
  readonly file: LocalClusterFile;
  readonly agents: DemoAgent[];
  kill(agent: DemoAgent): void;
  restart(agent: DemoAgent): Promise<void>;
  /** Restarts any agent the demo killed and left down; stops and removes an owned cluster. */
  release(): Promise<void>;
}

export class DemoClusterError extends Error {
  readonly kind = 'DemoCluster';
}

export interface AcquireOptions {
  /** A `kedge up` directory to use (or start in); else ~/.kedge/local when alive, else a temp dir. */
  readonly dir?: string;
  readonly agents: number;
  readonly basePort: number;
  readonly progress: (line: string) => void;
}

export async function acquireCluster(o: AcquireOptions): Promise<DemoCluster> {
  const candidates = o.dir !== undefined ? [o.dir] : [path.join(os.homedir(), '.kedge', 'local')];
  for (const dir of candidates) {
    if (!existsSync(path.join(dir, 'cluster.json'))) continue;
    const file = await readLocalCluster(dir);
    const dead = file.agents.filter((a) => !alive(a.pid));
    if (dead.length === 0) {
      o.progress(`using the local cluster in ${path.resolve(dir)} (${file.agents.length} agents)`);
      return handle(path.resolve(dir), false, file);
    }
    throw new DemoClusterError(
      `the local cluster in ${dir} has stopped agent(s) (${dead.map((a) => `agent-${a.index}`).join(', ')}); ` +
        `run \`kedge down --dir ${dir}\` and try again, or pass another --dir`,
    );
  }
  if (o.agents < 3)
    throw new DemoClusterError('a failover needs at least 3 agents (3 voters): use --agents 3 or more');
  const dir = o.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'kedge-demo-')));
  o.progress(`starting a local cluster of ${o.agents} agents in ${dir}`);
  await up({ agents: o.agents, dir, basePort: o.basePort, progress: o.progress, timeoutMs: 90_000 });
  return handle(dir, true, await readLocalCluster(dir));
}

function handle(dir: string, owned: boolean, file: LocalClusterFile): DemoCluster {
  const agents: DemoAgent[] = file.agents.map((a) => ({
    index: a.index,
    name: `agent-${a.index}`,
    apiAddress: a.apiAddress,
    dataDir: a.dataDir,
    pid: a.pid,
  }));
  const killed = new Set<DemoAgent>();
  const save = async () => {
    const current = JSON.parse(await readFile(path.join(dir, 'cluster.json'), 'utf8')) as LocalClusterFile;
    const pids = new Map(agents.map((a) => [a.index, a.pid]));
    await writeJsonFile(path.join(dir, 'cluster.json'), {
      ...current,
      agents: current.agents.map((a) => ({ ...a, pid: pids.get(a.index) ?? a.pid })),
    } satisfies LocalClusterFile);
  };
  const restart = async (agent: DemoAgent) => {
    const child = spawnAgent(agent.dataDir);
    if (child.pid === undefined)
      throw new DemoClusterError(`could not start ${agent.name}; see ${agent.dataDir}/agent.log`);
    agent.pid = child.pid;
    killed.delete(agent);
    await save();
  };
  return {
    dir,
    owned,
    file,
    agents,
    kill(agent) {
      assertOurAgent(agent);
      process.kill(agent.pid, 'SIGKILL');
      killed.add(agent);
    },
    restart,
    async release() {
      for (const agent of [...killed]) await restart(agent);
      if (owned) await down({ dir, purge: true });
    },
  };
}

/** A pid recorded earlier may belong to another program by now: kill only the agent of that data dir. */
function assertOurAgent(agent: DemoAgent): void {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch (error) {
    throw new DemoClusterError(
      `${agent.name} (pid ${agent.pid}) is not running: ${(error as Error).message}`,
    );
  }
  if (!cmdline.includes(agent.dataDir))
    throw new DemoClusterError(
      `pid ${agent.pid} is no longer ${agent.name} (its command line names another data dir)`,
    );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
