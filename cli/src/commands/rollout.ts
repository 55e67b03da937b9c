/** `kedge rollout status|history|undo|restart|pause|resume` for deployments. */
import type { Deployment, ReplicaSet, ResourceInfo } from '../api.ts';
import { formatSelector, resolveResource, selectorFromLabelSelector } from '../api.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { failed, usageError } from '../errors.ts';
import { formatTable } from '../printers/table.ts';
import { historyRows, REVISION, revisions, undoPlan } from '../rollout/history.ts';
import { deploymentRolloutStatus } from '../rollout/status.ts';
import { singleTarget } from './targets.ts';

const SUBCOMMANDS = ['status', 'history', 'undo', 'restart', 'pause', 'resume'] as const;

export const rolloutCommand: CommandSpec = {
  name: 'rollout',
  group: 'deploy',
  summary: 'Manage the rollout of a deployment: status, history, undo, restart, pause, resume',
  usage: `kedge rollout SUBCOMMAND deployment/NAME
  kedge rollout status deploy/web [--timeout=120s]   wait until the rollout finishes
  kedge rollout history deploy/web
  kedge rollout undo deploy/web [--to-revision=N]
  kedge rollout restart deploy/web
  kedge rollout pause|resume deploy/web`,
  subcommands: SUBCOMMANDS,
  flags: [
    {
      name: 'timeout',
      type: 'string',
      help: 'status: give up after this long (e.g. 90s, 5m; 0: never)',
      default: '0s',
    },
    {
      name: 'watch',
      short: 'w',
      type: 'bool',
      help: 'status: wait for the rollout to finish',
      default: true,
    },
    {
      name: 'to-revision',
      type: 'int',
      help: 'undo: the revision to go back to (0: the previous one)',
      default: 0,
    },
    { name: 'revision', type: 'int', help: 'history: show one revision in detail', default: 0 },
  ],
  run: runRollout,
};

const deployments = resolveResource('deployments') as ResourceInfo;
const replicasets = resolveResource('replicasets') as ResourceInfo;

async function runRollout(inv: Invocation): Promise<number> {
  const [sub, ...rest] = inv.args;
  if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub))
    throw usageError(`unknown rollout subcommand "${sub ?? ''}"`, `Use one of: ${SUBCOMMANDS.join(', ')}.`);
  const { info, name } = singleTarget(rest, `rollout ${sub}`);
  if (info.resource !== 'deployments')
    throw usageError(`kedge rollout works on deployments, not ${info.resource}`);
  const client = inv.client();
  const ns = inv.namespace();
  const label = `deployment.apps/${name}`;
  switch (sub) {
    case 'status':
      return rolloutStatus(inv, ns, name);
    case 'history': {
      const d = await client.get<Deployment>(deployments, ns, name);
      const revs = revisions(d, await ownedReplicaSets(inv, d));
      const want = inv.flags.int('revision') ?? 0;
      if (want > 0) {
        const r = revs.find((x) => x.revision === want);
        if (!r) throw failed(`unable to find the specified revision ${want}`);
        inv.out(
          `${label} with revision #${want}\nPod Template:\n${JSON.stringify(r.replicaSet.spec.template, null, 2)}\n`,
        );
        return 0;
      }
      inv.out(`${label}\n${formatTable(['REVISION', 'CHANGE-CAUSE'], historyRows(revs))}\n`);
      return 0;
    }
    case 'undo': {
      const d = await client.get<Deployment>(deployments, ns, name);
      const plan = undoPlan(
        d,
        revisions(d, await ownedReplicaSets(inv, d)),
        inv.flags.int('to-revision') ?? 0,
      );
      if (plan.kind === 'skip') {
        inv.out(`${plan.message}\n`);
        return 0;
      }
      await client.patch(deployments, ns, name, 'json', plan.patch);
      inv.out(`${label} rolled back\n`);
      return 0;
    }
    case 'restart': {
      const d = await client.get<Deployment>(deployments, ns, name);
      if (d.spec.paused) throw failed(`can't restart paused deployment (run rollout resume first)`);
      const at = new Date(inv.now()).toISOString().replace(/\.\d+Z$/, 'Z');
      await client.patch(deployments, ns, name, 'strategic', {
        spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } },
      });
      inv.out(`${label} restarted\n`);
      return 0;
    }
    default: {
      const pause = sub === 'pause';
      const d = await client.get<Deployment>(deployments, ns, name);
      if (Boolean(d.spec.paused) === pause) {
        inv.out(`${label} is already ${pause ? 'paused' : 'resumed'}\n`);
        return 0;
      }
      await client.patch(deployments, ns, name, 'strategic', { spec: { paused: pause ? true : null } });
      inv.out(`${label} ${pause ? 'paused' : 'resumed'}\n`);
      return 0;
    }
  }
}

async function ownedReplicaSets(inv: Invocation, d: Deployment): Promise<ReplicaSet[]> {
  const selector = formatSelector(selectorFromLabelSelector(d.spec.selector));
  return (await inv.client().list<ReplicaSet>(replicasets, d.metadata.namespace, { labelSelector: selector }))
    .items;
}

/** Follows the Deployment by watch, printing each new kubectl message, until done or failed. */
async function rolloutStatus(inv: Invocation, ns: string, name: string): Promise<number> {
  const client = inv.client();
  const timeoutMs = durationMs(inv.flags.string('timeout') ?? '0s');
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  inv.signal.addEventListener('abort', onAbort);
  const timer = timeoutMs > 0 ? setTimeout(() => stop.abort(new Error('timeout')), timeoutMs) : undefined;
  let last = '';
  const show = (d: Deployment): boolean => {
    const v = deploymentRolloutStatus(d);
    if ('failed' in v) throw failed(v.message);
    if (v.message !== last) {
      last = v.message;
      inv.out(`${v.done ? inv.colors.green(v.message) : v.message}\n`);
    }
    return v.done;
  };
  try {
    const list = await client.list<Deployment>(deployments, ns, { fieldSelector: `metadata.name=${name}` });
    const d = list.items[0];
    if (!d) throw failed(`deployments.apps "${name}" not found`);
    if (show(d) || !inv.flags.bool('watch')) return 0;
    for await (const ev of client.watch<Deployment>(deployments, ns, {
      resourceVersion: list.metadata.resourceVersion ?? '',
      fieldSelector: `metadata.name=${name}`,
      signal: stop.signal,
      relist: async () => {
        const again = await client.list<Deployment>(deployments, ns, {
          fieldSelector: `metadata.name=${name}`,
        });
        if (again.items[0] && show(again.items[0])) stop.abort();
        return again.metadata.resourceVersion ?? '';
      },
    })) {
      if (ev.type === 'DELETED') throw failed(`deployment "${name}" was deleted during the rollout`);
      if (show(ev.object)) return 0;
    }
    if (inv.signal.aborted) return 1;
    if (
      stop.signal.aborted &&
      stop.signal.reason instanceof Error &&
      stop.signal.reason.message === 'timeout'
    )
      throw failed(`timed out waiting for the condition: ${last || `deployment "${name}" rollout`}`);
    return 0;
  } finally {
    clearTimeout(timer);
    inv.signal.removeEventListener('abort', onAbort);
  }
}

/** `90s`, `5m`, `1h`, `0` to milliseconds. */
export function durationMs(text: string): number {
  if (text === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) throw usageError(`invalid duration "${text}": use a number with ms, s, m or h, like 90s`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export { REVISION };
