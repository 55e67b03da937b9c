/** `kedge get`: tables (the server's Table), -o yaml|json|name|jsonpath, -w, selectors, -A. */
import type { KubeObject, ResourceInfo, Table } from '../api.ts';
import { ApiError } from '../client/api-error.ts';
import type { KubeClient } from '../client/kube-client.ts';
import { qualifiedKind } from '../client/resources.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { usageError } from '../errors.ts';
import { isTable, localTable, type TableView, tableRows } from '../printers/get-table.ts';
import { formatObjects, type OutputFormat, parseOutputFormat, withTypeMeta } from '../printers/objects.ts';
import { columnWidths, formatRow, formatTable } from '../printers/table.ts';
import { parseTargets, type Target } from './targets.ts';

export const getCommand: CommandSpec = {
  name: 'get',
  group: 'basic',
  summary: 'Display one or many resources',
  usage: `kedge get TYPE[,TYPE...] [NAME...] [flags]
  kedge get pods                       list pods in the current namespace
  kedge get deploy web -o yaml         one deployment as YAML
  kedge get po,svc -l app=web -A       pods and services with a label, in every namespace
  kedge get pods -w                    watch pods change
  kedge get all`,
  flags: [
    {
      name: 'output',
      short: 'o',
      type: 'string',
      help: 'Output format: wide, yaml, json, name, jsonpath=TEMPLATE',
    },
    { name: 'watch', short: 'w', type: 'bool', help: 'After listing, watch for changes' },
    { name: 'watch-only', type: 'bool', help: 'Watch for changes without listing first' },
    { name: 'selector', short: 'l', type: 'string', help: 'Label selector (e.g. -l app=web,tier!=db)' },
    {
      name: 'field-selector',
      type: 'string',
      help: 'Field selector (e.g. --field-selector status.phase=Running)',
    },
    { name: 'all-namespaces', short: 'A', type: 'bool', help: 'List across all namespaces' },
    { name: 'show-labels', type: 'bool', help: 'Show labels as the last column' },
    { name: 'no-headers', type: 'bool', help: 'Do not print the header line' },
  ],
  run: runGet,
};

interface Found {
  readonly target: Target;
  readonly table?: Table;
  readonly objects: KubeObject[];
  readonly listRv?: string;
}

async function runGet(inv: Invocation): Promise<number> {
  const targets = parseTargets(inv.args);
  if (targets.length === 0)
    throw usageError(
      'You must specify the type of resource to get.',
      'Use "kedge get all", or a type such as pods, deployments, services, nodes.',
    );
  const format = parseOutputFormat(inv.flags.string('output'));
  const watch = inv.flags.bool('watch') || inv.flags.bool('watch-only');
  if (watch && targets.length > 1) throw usageError('you may only watch one resource type at a time');
  const client = inv.client();
  const allNs = inv.flags.bool('all-namespaces');
  const namespace = allNs ? undefined : inv.namespace();
  const selectors = {
    labelSelector: inv.flags.string('selector'),
    fieldSelector: inv.flags.string('field-selector'),
  };
  const errors: string[] = [];
  const found: Found[] = [];
  if (!inv.flags.bool('watch-only'))
    for (const target of targets)
      found.push(await fetchTarget(client, target, namespace, selectors, format, errors, inv.now()));

  const several = targets.length > 1;
  const view = (t: Target): TableView => ({
    wide: format.kind === 'table' && format.wide,
    namespaceColumn: allNs && t.info.namespaced,
    showLabels: inv.flags.bool('show-labels'),
    ...(several ? { kindPrefix: qualifiedKind(t.info) } : {}),
  });

  let widths: number[] | undefined;
  if (format.kind === 'table') {
    const blocks: string[] = [];
    for (const f of found) {
      if (!f.table || f.table.rows.length === 0) continue;
      const { header, rows } = tableRows(f.table, view(f.target));
      widths = columnWidths([header, ...rows]);
      blocks.push(formatTable(inv.flags.bool('no-headers') ? undefined : header, rows, widths));
    }
    inv.out(blocks.join('\n'));
  } else {
    const objects = found.flatMap((f) => f.objects.map((object) => ({ info: f.target.info, object })));
    const single = targets.length === 1 && (targets[0]?.names.length ?? 0) === 1;
    if (objects.length > 0 || format.kind !== 'name') {
      if (!(objects.length === 0 && single)) inv.out(formatObjects(objects, format, single));
    }
  }
  const total = found.reduce((n, f) => n + (f.table?.rows.length ?? f.objects.length), 0);
  if (total === 0 && errors.length === 0 && !watch && targets.every((t) => t.names.length === 0))
    inv.err(
      namespace && targets.some((t) => t.info.namespaced)
        ? `No resources found in ${namespace} namespace.\n`
        : 'No resources found\n',
    );
  for (const e of errors) inv.err(`${e}\n`);
  if (errors.length > 0) return 1;

  if (watch) {
    const target = targets[0] as Target;
    const rv = found[0]?.listRv ?? '';
    await watchTarget(inv, client, target, namespace, selectors, format, rv, view(target), widths);
  }
  return 0;
}

async function fetchTarget(
  client: KubeClient,
  target: Target,
  namespace: string | undefined,
  selectors: { labelSelector?: string | undefined; fieldSelector?: string | undefined },
  format: OutputFormat,
  errors: string[],
  now: number,
): Promise<Found> {
  const { info } = target;
  const ns = info.namespaced ? namespace : undefined;
  if (target.names.length > 0 && info.namespaced && ns === undefined)
    throw usageError('a resource cannot be retrieved by name across all namespaces; pass -n NAMESPACE');
  const sel = {
    ...(selectors.labelSelector ? { labelSelector: selectors.labelSelector } : {}),
    ...(selectors.fieldSelector ? { fieldSelector: selectors.fieldSelector } : {}),
  };
  if (format.kind !== 'table') {
    if (target.names.length === 0) {
      const list = await client.list(info, ns, sel);
      return { target, objects: list.items, listRv: list.metadata.resourceVersion ?? '' };
    }
    const objects: KubeObject[] = [];
    for (const name of target.names) {
      try {
        objects.push(await client.get(info, ns, name));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        errors.push(e.display);
      }
    }
    return { target, objects };
  }
  if (target.names.length === 0) {
    const reply = await client.table(info, ns, sel);
    return {
      target,
      table: asTable(info, reply, now),
      objects: [],
      listRv: (reply as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? '',
    };
  }
  const tables: Table[] = [];
  for (const name of target.names) {
    try {
      tables.push(asTable(info, await client.table(info, ns, { name }), now));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      errors.push(e.display);
    }
  }
  const first = tables[0];
  const table = first ? { ...first, rows: tables.flatMap((t) => t.rows) } : undefined;
  return { target, ...(table ? { table } : {}), objects: [] };
}

/** A server that answered with a plain list or object gets the same columns, computed here. */
function asTable(info: ResourceInfo, reply: unknown, now: number): Table {
  if (isTable(reply)) return reply;
  const r = reply as { items?: KubeObject[] } & KubeObject;
  return localTable(info, Array.isArray(r.items) ? r.items : [r], now);
}

async function watchTarget(
  inv: Invocation,
  client: KubeClient,
  target: Target,
  namespace: string | undefined,
  selectors: { labelSelector?: string | undefined; fieldSelector?: string | undefined },
  format: OutputFormat,
  rv: string,
  view: TableView,
  initialWidths: number[] | undefined,
): Promise<void> {
  const { info } = target;
  const ns = info.namespaced ? namespace : undefined;
  const fieldSelector = [selectors.fieldSelector, ...target.names.map((n) => `metadata.name=${n}`)]
    .filter(Boolean)
    .join(',');
  let widths = initialWidths;
  let headerShown = initialWidths !== undefined;
  const events = client.watch<unknown>(info, ns, {
    resourceVersion: rv,
    table: format.kind === 'table',
    signal: inv.signal,
    ...(selectors.labelSelector ? { labelSelector: selectors.labelSelector } : {}),
    ...(fieldSelector ? { fieldSelector } : {}),
    relist: async () =>
      (await client.list(info, ns, selectors.labelSelector ? { labelSelector: selectors.labelSelector } : {}))
        .metadata.resourceVersion ?? '',
  });
  for await (const event of events) {
    if (format.kind === 'table') {
      const table = asTable(info, event.object, inv.now());
      const { header, rows } = tableRows(table, view);
      if (!widths) widths = columnWidths([header, ...rows]);
      if (!headerShown && !inv.flags.bool('no-headers')) inv.out(formatRow(header, widths));
      headerShown = true;
      for (const row of rows) inv.out(formatRow(row, widths));
    } else {
      const object = event.object as KubeObject;
      inv.out(formatObjects([{ info, object: withTypeMeta(info, object) }], format, true));
      if (format.kind === 'yaml') inv.out('---\n');
    }
  }
}
