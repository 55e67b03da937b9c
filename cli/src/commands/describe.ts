/** `kedge describe TYPE NAME`: kubectl-like text with the object's Events at the end. */
import type {
  Deployment,
  Endpoints,
  Event,
  KubeObject,
  Node,
  Pod,
  ReplicaSet,
  ResourceInfo,
  Service,
} from '../api.ts';
import { formatSelector, resolveResource, selectorFromLabelSelector } from '../api.ts';
import { jsonEqual } from '../apply/three-way.ts';
import { ApiError } from '../client/api-error.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { describeGeneric, describeNode, describeService } from '../describe/infra.ts';
import { describeDeployment, describePod } from '../describe/workloads.ts';
import { usageError } from '../errors.ts';
import { withoutHash } from '../rollout/history.ts';
import { parseTargets } from './targets.ts';

export const describeCommand: CommandSpec = {
  name: 'describe',
  group: 'inspect',
  summary: 'Show details of a resource, with its events',
  usage: `kedge describe TYPE [NAME...] | TYPE/NAME
  kedge describe pod web-7d9f-abcde
  kedge describe deploy/web
  kedge describe nodes`,
  flags: [
    { name: 'selector', short: 'l', type: 'string', help: 'Describe the objects matching a label selector' },
  ],
  run: runDescribe,
};

const resource = (name: string) => resolveResource(name) as ResourceInfo;

async function runDescribe(inv: Invocation): Promise<number> {
  const targets = parseTargets(inv.args);
  if (targets.length === 0)
    throw usageError(
      'You must specify the type of resource to describe.',
      'Example: kedge describe pod NAME',
    );
  const client = inv.client();
  const ns = inv.namespace();
  const docs: string[] = [];
  let failures = 0;
  for (const t of targets) {
    const namespace = t.info.namespaced ? ns : undefined;
    let objects: KubeObject[] = [];
    if (t.names.length === 0) {
      const sel = inv.flags.string('selector');
      objects = (await client.list(t.info, namespace, sel ? { labelSelector: sel } : {})).items;
    } else
      for (const name of t.names) {
        try {
          objects.push(await client.get(t.info, namespace, name));
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          failures++;
          inv.err(`${e.display}\n`);
        }
      }
    for (const o of objects) docs.push(await describeOne(client, t.info, o, inv.now()));
  }
  inv.out(docs.join('\n\n'));
  return failures > 0 ? 1 : 0;
}

/** Events about one object, found by kubectl's field selector (name, namespace, uid). */
export async function eventsFor(client: KubeClient, o: KubeObject, kind: string): Promise<Event[]> {
  const ns = o.metadata.namespace;
  const fields = [
    `involvedObject.name=${o.metadata.name}`,
    ...(ns ? [`involvedObject.namespace=${ns}`] : []),
    ...(o.metadata.uid ? [`involvedObject.uid=${o.metadata.uid}`] : [`involvedObject.kind=${kind}`]),
  ];
  try {
    return (
      await client.list<Event>(resource('events'), ns ?? 'default', { fieldSelector: fields.join(',') })
    ).items;
  } catch (e) {
    // Events are a footnote: a server without them still gets the object described.
    if (e instanceof ApiError && (e.code === 404 || e.code === 403)) return [];
    throw e;
  }
}

async function describeOne(
  client: KubeClient,
  info: ResourceInfo,
  o: KubeObject,
  now: number,
): Promise<string> {
  const events = await eventsFor(client, o, info.kind);
  const key = `${info.group}/${info.resource}`;
  if (key === '/pods') return describePod(o as Pod, events, now);
  if (key === '/nodes') {
    const pods = (
      await client.list<Pod>(resource('pods'), undefined, {
        fieldSelector: `spec.nodeName=${o.metadata.name}`,
      })
    ).items;
    return describeNode(o as Node, pods, events, now);
  }
  if (key === '/services') {
    let ep: Endpoints | undefined;
    try {
      ep = await client.get<Endpoints>(resource('endpoints'), o.metadata.namespace, o.metadata.name ?? '');
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
    return describeService(o as Service, ep, events, now);
  }
  if (key === 'apps/deployments') {
    const d = o as Deployment;
    const selector = formatSelector(selectorFromLabelSelector(d.spec.selector));
    const owned = (
      await client.list<ReplicaSet>(resource('replicasets'), d.metadata.namespace, {
        labelSelector: selector,
      })
    ).items.filter((rs) =>
      rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid),
    );
    const current = withoutHash(d.spec.template);
    const newRS = owned.find((rs) => jsonEqual(withoutHash(rs.spec.template), current));
    const old = owned.filter((rs) => rs !== newRS && (rs.spec.replicas ?? 0) > 0);
    return describeDeployment(d, newRS, old, events, now);
  }
  return describeGeneric(o, events, now);
}
