/**
 * What a command acts on, from its arguments as kubectl reads them: `TYPE[,TYPE...] [NAME...]`
 * or `TYPE/NAME...`; `all` expands to the "all" category. Pure.
 */
import type { ResourceInfo } from '../api.ts';
import { allCategory, resolveType } from '../client/resources.ts';
import { usageError } from '../errors.ts';

export interface Target {
  readonly info: ResourceInfo;
  /** Empty: every object of the type (subject to selectors). */
  readonly names: readonly string[];
}

export function parseTargets(args: readonly string[]): Target[] {
  if (args.length === 0) return [];
  if (args.some((a) => a.includes('/'))) {
    if (!args.every((a) => a.includes('/')))
      throw usageError(
        'there is no need to specify a resource type as a separate argument when passing arguments in resource/name form',
      );
    const out: { info: ResourceInfo; names: string[] }[] = [];
    for (const a of args) {
      const [type = '', name = ''] = a.split('/', 2);
      if (name === '')
        throw usageError(`arguments in resource/name form must have a single resource and name: "${a}"`);
      const info = resolveType(type);
      const existing = out.find((t) => t.info === info);
      if (existing) existing.names.push(name);
      else out.push({ info, names: [name] });
    }
    return out;
  }
  const [types = '', ...names] = args;
  const infos = types
    .split(',')
    .filter((t) => t !== '')
    .flatMap((t) => (t === 'all' ? allCategory() : [resolveType(t)]));
  if (names.length > 0 && infos.length > 1)
    throw usageError('you may only specify a single resource type when naming objects, or use TYPE/NAME');
  return infos.map((info) => ({ info, names }));
}

/** Exactly one `TYPE NAME` or `TYPE/NAME`, for scale, rollout, expose and logs. */
export function singleTarget(args: readonly string[], what: string): { info: ResourceInfo; name: string } {
  const targets = parseTargets(args);
  const t = targets[0];
  if (targets.length !== 1 || !t || t.names.length !== 1)
    throw usageError(`${what} needs exactly one resource, as TYPE NAME or TYPE/NAME`);
  return { info: t.info, name: t.names[0] as string };
}
