/** `kedge scale TYPE NAME --replicas=N` through the scale subresource (merge patch, as kubectl). */
import type { Scale } from '../api.ts';
import { hasSubresource } from '../api.ts';
import { qualifiedKind } from '../client/resources.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { failed, usageError } from '../errors.ts';
import { singleTarget } from './targets.ts';

export const scaleCommand: CommandSpec = {
  name: 'scale',
  group: 'deploy',
  summary: 'Set the number of replicas of a deployment, replicaset or statefulset',
  usage: `kedge scale TYPE NAME --replicas=N [--current-replicas=M]
  kedge scale deploy/web --replicas=5`,
  flags: [
    { name: 'replicas', type: 'int', help: 'The new number of replicas' },
    {
      name: 'current-replicas',
      type: 'int',
      help: 'Only scale if the current number is this (a precondition)',
      default: -1,
    },
  ],
  run: async (inv: Invocation) => {
    const { info, name } = singleTarget(inv.args, 'scale');
    const replicas = inv.flags.int('replicas');
    if (replicas === undefined || replicas < 0)
      throw usageError('--replicas=COUNT is required, and COUNT must be 0 or more');
    if (!hasSubresource(info, 'scale'))
      throw usageError(`${info.resource} cannot be scaled; scale deployments, replicasets or statefulsets`);
    const client = inv.client();
    const ns = info.namespaced ? inv.namespace() : undefined;
    const current = inv.flags.int('current-replicas') ?? -1;
    if (current >= 0) {
      // A precondition: read the Scale, check, and PUT it back with its resourceVersion (409 if it moved).
      const scale = await client.get<Scale>(info, ns, name, 'scale');
      if ((scale.spec.replicas ?? 0) !== current)
        throw failed(`Expected replicas to be ${current}, was ${scale.spec.replicas ?? 0}`);
      await client.replace(info, ns, { ...scale, spec: { replicas } } as Scale, 'scale');
    } else {
      await client.patch(info, ns, name, 'merge', { spec: { replicas } }, { subresource: 'scale' });
    }
    inv.out(`${qualifiedKind(info)}/${name} scaled\n`);
    return 0;
  },
};
