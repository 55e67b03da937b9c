// The cluster commands (agent, init, up, down) share their flag parsing with agent-main.ts, which
// runs without the CLI: this turns the CLI's parsed flags back into that argv.
import type { FlagSpec } from '../args.ts';
import type { Invocation } from '../command.ts';

export const stringFlags = (names: Record<string, string>): FlagSpec[] =>
  Object.entries(names).map(([name, help]) => ({ name, type: 'string' as const, help }));

export function argvOf(inv: Invocation, specs: readonly FlagSpec[]): string[] {
  const argv: string[] = [];
  for (const spec of specs) {
    if (!inv.flags.has(spec.name)) continue;
    if (spec.type === 'bool') argv.push(`--${spec.name}`, 'true');
    else argv.push(`--${spec.name}`, inv.flags.string(spec.name) ?? '');
  }
  return argv;
}
