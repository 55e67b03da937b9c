/**
 * `kedge agent --data-dir D [--join ADDRESS --token TOKEN] [--advertise IP] [--api-port N]
 * [--raft-port N] [--name NAME] [--datastore etcd://host:port[,host:port][/prefix]
 * [--datastore-ca F --datastore-cert F --datastore-key F]]`: joins first when D is empty and --join is given, then runs the
 * agent until SIGTERM/SIGINT. A restart needs only --data-dir. Prints one JSON line
 * `{"event":"serving",...}` on stdout once it serves (scripts and `kedge up` wait for it).
 */
import path from 'node:path';
import { stderrLogger } from '../../../consensus/src/node/logger.ts';
import { parseDatastore } from '../store-etcd/datastore.ts';
import { startAgent } from './agent.ts';
import { superviseAgent } from './agent-lifecycle.ts';
import { hasIdentity } from './data-dir.ts';
import { type DatastoreSetting, resolveDatastore } from './datastore-setting.ts';
import { joinCluster } from './join-client.ts';

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export function parseFlags(args: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) flags.set(arg.slice(2), 'true');
      else {
        flags.set(arg.slice(2), value);
        i++;
      }
    }
  }
  return flags;
}

export class UsageError extends Error {
  readonly kind = 'Usage';
}

export function intFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, not "${raw}"`);
  return n;
}

/** Runs an agent in this process; resolves with the exit code once it was told to stop. */
export async function runAgentCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(args);
  const dataDir = flags.get('data-dir');
  if (dataDir === undefined) throw new UsageError('--data-dir is required');
  const dir = path.resolve(dataDir);
  const joinAddress = flags.get('join');
  const datastoreGiven = datastoreFlag(flags);
  if (!hasIdentity(dir)) {
    const token = flags.get('token');
    if (joinAddress === undefined || token === undefined) {
      throw new UsageError(
        `${dir} holds no agent: run \`kedge init --data-dir ${dir}\`, or pass --join ADDRESS --token TOKEN`,
      );
    }
    const member = await joinCluster({
      dataDir: dir,
      address: joinAddress,
      token,
      advertise: flags.get('advertise') ?? '127.0.0.1',
      apiPort: intFlag(flags, 'api-port', 6443),
      raftPort: intFlag(flags, 'raft-port', 7443),
      ...(flags.has('name') ? { name: flags.get('name')! } : {}),
    });
    io.stderr.write(`joined as node ${member.id} (${member.role})\n`);
  } else if (joinAddress !== undefined) {
    io.stderr.write(`${dir} already holds an agent: ignoring --join and restarting it\n`);
  }
  const datastore = await resolveDatastore(dir, datastoreGiven, (line) => io.stderr.write(`${line}\n`)).catch(
    (error: Error) => {
      throw new UsageError(error.message);
    },
  );
  // Supervised: the agent may restart itself in a new role (autopilot, rejoin) or leave.
  const supervised = await superviseAgent(
    (lifecycle) => startAgent({ dataDir: dir, lifecycle, ...(datastore === undefined ? {} : { datastore }) }),
    stderrLogger('agent-supervisor'),
  );
  const agent = supervised.current();
  io.stdout.write(
    `${JSON.stringify({ event: 'serving', id: agent.identity.nodeId, role: agent.identity.role, api: agent.apiAddress })}\n`,
  );
  const signalled = await Promise.race([
    new Promise<true>((resolve) => {
      process.once('SIGTERM', () => resolve(true));
      process.once('SIGINT', () => resolve(true));
    }),
    supervised.finished.then(() => false as const),
  ]);
  if (signalled) await supervised.stop();
  else io.stderr.write(`agent stopped: ${await supervised.finished}\n`);
  return 0;
}

/** `--datastore etcd://...` (store-etcd/): objects in an external etcd; absent: what the data dir remembers. */
function datastoreFlag(flags: Map<string, string>): DatastoreSetting | undefined {
  const address = flags.get('datastore');
  const tls = {
    ...(flags.has('datastore-ca') ? { ca: flags.get('datastore-ca')! } : {}),
    ...(flags.has('datastore-cert') ? { cert: flags.get('datastore-cert')! } : {}),
    ...(flags.has('datastore-key') ? { key: flags.get('datastore-key')! } : {}),
  };
  if (address === undefined) {
    if (Object.keys(tls).length > 0)
      throw new UsageError('--datastore-ca/-cert/-key need --datastore etcds://host:port');
    return undefined;
  }
  // Checked now, before a join changes anything; resolveDatastore remembers it.
  const config = parseDatastore(address, tls);
  if (config instanceof Error) throw new UsageError(config.message);
  return { address, tls };
}
