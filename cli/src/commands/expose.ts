/** `kedge expose deployment NAME --port=P [--target-port=T] [--type=NodePort] [--name=SVC]`: a Service for it. */
import type { Deployment, KubeObject, Pod, Service } from '../api.ts';
import { type ResourceInfo, resolveResource } from '../api.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { failed, usageError } from '../errors.ts';
import { singleTarget } from './targets.ts';

export const exposeCommand: CommandSpec = {
  name: 'expose',
  group: 'basic',
  summary: 'Make a Service for a deployment, replicaset, pod or service',
  usage: `kedge expose TYPE NAME --port=PORT [--target-port=PORT] [--type=ClusterIP|NodePort] [--name=SERVICE]
  kedge expose deploy web --port=80 --target-port=8080 --type=NodePort`,
  flags: [
    { name: 'port', type: 'int', help: 'The port the service serves' },
    {
      name: 'target-port',
      type: 'string',
      help: "The container port (number or name; default: --port or the container's port)",
    },
    { name: 'type', type: 'string', help: 'ClusterIP or NodePort', default: 'ClusterIP' },
    { name: 'name', type: 'string', help: "The service name (default: the exposed object's)" },
    { name: 'protocol', type: 'string', help: 'TCP or UDP', default: 'TCP' },
  ],
  run: async (inv: Invocation) => {
    const { info, name } = singleTarget(inv.args, 'expose');
    const client = inv.client();
    const ns = inv.namespace();
    const source = await client.get<KubeObject>(info, ns, name);
    const service = serviceFor(source, {
      port: inv.flags.int('port'),
      targetPort: inv.flags.string('target-port'),
      type: inv.flags.string('type') ?? 'ClusterIP',
      name: inv.flags.string('name') ?? name,
      protocol: inv.flags.string('protocol') ?? 'TCP',
    });
    const svcInfo = resolveResource('services') as ResourceInfo;
    service.metadata.namespace = ns;
    await client.create(svcInfo, ns, service, { fieldManager: 'kubectl-expose' });
    inv.out(`service/${service.metadata.name} exposed\n`);
    return 0;
  },
};

/** The Service that exposes an object: its selector, the port, the target port. Pure. */
export function serviceFor(
  source: KubeObject,
  o: {
    port: number | undefined;
    targetPort: string | undefined;
    type: string;
    name: string;
    protocol: string;
  },
): Service {
  if (!['ClusterIP', 'NodePort'].includes(o.type))
    throw usageError(`unsupported service type "${o.type}"; use ClusterIP or NodePort`);
  let selector: Record<string, string> | undefined;
  let firstPort: number | undefined;
  if (source.kind === 'Pod') {
    selector = source.metadata.labels;
    firstPort = (source as Pod).spec.containers?.[0]?.ports?.[0]?.containerPort;
  } else if (source.kind === 'Service') {
    selector = (source as Service).spec.selector;
    firstPort = (source as Service).spec.ports?.[0]?.port;
  } else {
    const d = source as Deployment;
    if (d.spec?.selector?.matchExpressions?.length)
      throw failed(
        `cannot expose ${source.kind} ${source.metadata.name}: its selector has matchExpressions, which a Service cannot express`,
      );
    selector = d.spec?.selector?.matchLabels;
    firstPort = d.spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort;
  }
  if (!selector || Object.keys(selector).length === 0)
    throw failed(`couldn't find a selector or labels on ${source.kind} ${source.metadata.name}`);
  const port = o.port ?? firstPort;
  if (!port)
    throw usageError("couldn't find a port via --port flag or the object's containers", 'Pass --port=PORT.');
  const target =
    o.targetPort === undefined ? port : /^\d+$/.test(o.targetPort) ? Number(o.targetPort) : o.targetPort;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.name, ...(source.metadata.labels ? { labels: source.metadata.labels } : {}) },
    spec: {
      type: o.type as Service['spec']['type'],
      selector,
      ports: [{ port, targetPort: target, protocol: o.protocol as 'TCP' }],
    },
  };
}
