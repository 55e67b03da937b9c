/** `kedge logs POD | TYPE/NAME [-c C] [-f] [--tail N] [--previous] [--timestamps]` via pods/log. */
import type { Deployment, Pod } from '../api.ts';
import { formatSelector, type ResourceInfo, resolveResource, selectorFromLabelSelector } from '../api.ts';
import { resourcePath } from '../client/resources.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { failed, usageError } from '../errors.ts';

export const logsCommand: CommandSpec = {
  name: 'logs',
  group: 'inspect',
  summary: 'Print the logs of a container in a pod',
  usage: `kedge logs POD [-c CONTAINER] [flags]
  kedge logs web-7d9f-abcde --tail 20
  kedge logs deploy/web -f          (the first pod of the deployment)`,
  flags: [
    { name: 'container', short: 'c', type: 'string', help: 'The container (default: the only or first one)' },
    { name: 'follow', short: 'f', type: 'bool', help: 'Keep streaming new lines' },
    { name: 'tail', type: 'int', help: 'Lines from the end to show (-1: all)', default: -1 },
    { name: 'previous', short: 'p', type: 'bool', help: 'Logs of the previous, terminated instance' },
    { name: 'timestamps', type: 'bool', help: 'Prefix each line with its RFC 3339 timestamp' },
    { name: 'since', type: 'string', help: 'Only newer than a duration, e.g. 5s, 2m, 3h' },
  ],
  run: runLogs,
};

const pods = resolveResource('pods') as ResourceInfo;

async function runLogs(inv: Invocation): Promise<number> {
  const [first, second] = inv.args;
  if (!first) throw usageError('a pod name is required', 'Usage: kedge logs POD [-c CONTAINER]');
  const client = inv.client();
  const ns = inv.namespace();
  let podName = first;
  if (first.includes('/') || second) {
    const [type, name] = first.includes('/')
      ? (first.split('/', 2) as [string, string])
      : [first, second as string];
    const info = resolveResource(type);
    if (!info) throw usageError(`the server doesn't have a resource type "${type}"`);
    if (info.resource !== 'pods') {
      // kubectl logs deploy/web: the first pod its selector picks.
      const owner = await client.get<Deployment>(info, ns, name);
      const selector = formatSelector(selectorFromLabelSelector(owner.spec?.selector));
      const list = await client.list<Pod>(pods, ns, { labelSelector: selector });
      const pod = list.items.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))[0];
      if (!pod) throw failed(`no pods found for ${info.singular}/${name} (selector ${selector})`);
      podName = pod.metadata.name ?? '';
      if (list.items.length > 1) inv.err(`Found ${list.items.length} pods, using pod/${podName}\n`);
    } else podName = name;
  }
  let container = inv.flags.string('container');
  if (!container) {
    const pod = await client.get<Pod>(pods, ns, podName);
    const names = (pod.spec.containers ?? []).map((c) => c.name);
    container = names[0];
    if (names.length > 1) inv.err(`Defaulted container "${container}" out of: ${names.join(', ')}\n`);
  }
  const tail = inv.flags.int('tail') ?? -1;
  const since = inv.flags.string('since');
  const query = {
    container,
    follow: inv.flags.bool('follow') || undefined,
    tailLines: tail >= 0 ? tail : undefined,
    previous: inv.flags.bool('previous') || undefined,
    timestamps: inv.flags.bool('timestamps') || undefined,
    sinceSeconds: since ? durationSeconds(since) : undefined,
  };
  const path = resourcePath(pods, ns, podName, 'log');
  if (!inv.flags.bool('follow')) {
    inv.out(await client.text(path, query));
    return 0;
  }
  const res = await client.stream(path, query, inv.signal);
  try {
    for await (const chunk of res) inv.out((chunk as Buffer).toString('utf8'));
  } catch (e) {
    if (!inv.signal.aborted) throw e;
  }
  return 0;
}

/** `90s`, `5m`, `2h` to seconds. */
export function durationSeconds(text: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(text);
  if (!m) throw usageError(`invalid duration "${text}": use a number with s, m or h, like 5m`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}
