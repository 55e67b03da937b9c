/** `kedge delete`: by name, -f, -l, --all; --grace-period; --wait (default) until objects are gone. */
import type { KubeObject, ResourceInfo } from '../api.ts';
import { ApiError, isNotFound } from '../client/api-error.ts';
import { qualifiedKind } from '../client/resources.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { failed, usageError } from '../errors.ts';
import { readManifests } from '../manifests/read.ts';
import { placeObject } from './object-target.ts';
import { parseTargets } from './targets.ts';

export const deleteCommand: CommandSpec = {
  name: 'delete',
  group: 'basic',
  summary: 'Delete resources by name, file, label selector or --all',
  usage: `kedge delete TYPE NAME... | TYPE/NAME... | -f FILE | TYPE -l SELECTOR | TYPE --all
  kedge delete pod web-1 --grace-period=0
  kedge delete -f app.yaml
  kedge delete deploy -l app=web`,
  flags: [
    { name: 'filename', short: 'f', type: 'strings', help: 'Files, directories or - for stdin' },
    { name: 'selector', short: 'l', type: 'string', help: 'Delete the objects matching a label selector' },
    { name: 'all', type: 'bool', help: 'Delete every object of the type in the namespace' },
    {
      name: 'grace-period',
      type: 'int',
      help: 'Seconds to let pods stop (0: at once; -1: the default)',
      default: -1,
    },
    { name: 'wait', type: 'bool', help: 'Wait until the objects are gone', default: true },
    { name: 'timeout', type: 'int', help: 'Seconds to wait with --wait', default: 60 },
    { name: 'ignore-not-found', type: 'bool', help: 'A missing object is not an error' },
  ],
  run: runDelete,
};

interface Doomed {
  readonly info: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string;
}

async function runDelete(inv: Invocation): Promise<number> {
  const client = inv.client();
  const doomed: Doomed[] = [];
  if (inv.flags.strings('filename').length > 0) {
    for (const m of await readManifests(inv.flags.strings('filename'), inv.io.stdin)) {
      const p = placeObject(m, inv.flags.string('namespace'), client.namespace);
      doomed.push({ info: p.info, namespace: p.namespace, name: p.object.metadata.name ?? '' });
    }
  } else {
    const targets = parseTargets(inv.args);
    if (targets.length === 0)
      throw usageError(
        'You must provide one or more resources by argument or filename.',
        'Example: kedge delete pod NAME, kedge delete -f app.yaml',
      );
    const selector = inv.flags.string('selector');
    for (const t of targets) {
      const namespace = t.info.namespaced ? inv.namespace() : undefined;
      if (t.names.length > 0) {
        for (const name of t.names) doomed.push({ info: t.info, namespace, name });
        continue;
      }
      if (!selector && !inv.flags.bool('all'))
        throw usageError(
          `resource(s) were provided, but no name was specified; name them, or pass -l SELECTOR or --all`,
        );
      const list = await client.list(t.info, namespace, selector ? { labelSelector: selector } : {});
      for (const o of list.items) doomed.push({ info: t.info, namespace, name: o.metadata.name ?? '' });
    }
    if (doomed.length === 0) {
      inv.err('No resources found\n');
      return 0;
    }
  }
  const grace = inv.flags.int('grace-period') ?? -1;
  let failures = 0;
  const deleted: (Doomed & { uid?: string | undefined })[] = [];
  for (const d of doomed) {
    try {
      const last: KubeObject = await client.delete(
        d.info,
        d.namespace,
        d.name,
        grace >= 0 ? { gracePeriodSeconds: grace } : {},
      );
      inv.out(`${qualifiedKind(d.info)} "${d.name}" deleted\n`);
      deleted.push({ ...d, uid: last.metadata?.uid });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (isNotFound(e) && inv.flags.bool('ignore-not-found')) continue;
      failures++;
      inv.err(`${e.display}\n`);
    }
  }
  if (inv.flags.bool('wait') && deleted.length > 0) await waitGone(inv, deleted);
  return failures > 0 ? 1 : 0;
}

/** Polls until each object is gone (or replaced by a new one with another uid), showing progress. */
async function waitGone(
  inv: Invocation,
  objects: readonly (Doomed & { uid?: string | undefined })[],
): Promise<void> {
  const client = inv.client();
  const deadline = inv.now() + (inv.flags.int('timeout') ?? 60) * 1000;
  let pending = [...objects];
  let told = false;
  let delay = 100;
  while (pending.length > 0) {
    const still: typeof pending = [];
    for (const o of pending) {
      try {
        const live = await client.get(o.info, o.namespace, o.name);
        if (o.uid === undefined || live.metadata.uid === o.uid) still.push(o);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    pending = still;
    if (pending.length === 0) break;
    if (inv.now() > deadline)
      throw failed(
        `timed out waiting for ${pending.map((p) => `${qualifiedKind(p.info)}/${p.name}`).join(', ')} to be deleted; they may still be stopping (check with kedge get)`,
      );
    if (!told && delay >= 800) {
      told = true;
      inv.err(`waiting for ${pending.length} object(s) to be removed...\n`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
}
