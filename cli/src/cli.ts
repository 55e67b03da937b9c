/**
 * One CLI invocation: argv -> command (commands/index.ts) -> flags parsed against the command's
 * and the connection flags -> run -> exit code (0 ok, 1 failed, 2 bad usage). Every CliError is
 * printed as its display line; anything else is a bug and says so.
 */
import { flagHelp, parseArgs } from './args.ts';
import {
  type CliIo,
  CONNECTION_FLAGS,
  type CommandGroup,
  type CommandSpec,
  makeInvocation,
} from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { CliError } from './errors.ts';
import { paletteFor } from './printers/color.ts';

export type { CliIo } from './command.ts';

const GROUPS: Record<CommandGroup, string> = {
  basic: 'Basic commands',
  deploy: 'Deploy commands',
  inspect: 'Troubleshooting commands',
  cluster: 'Cluster commands',
  settings: 'Settings commands',
  other: 'Other commands',
};

function usage(io: CliIo, commands: readonly CommandSpec[]): void {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const sections = (Object.keys(GROUPS) as CommandGroup[])
    .map((g) => {
      const cs = commands.filter((c) => c.group === g);
      return cs.length === 0
        ? ''
        : `${GROUPS[g]}:\n${cs.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`).join('\n')}\n`;
    })
    .filter(Boolean);
  io.stdout.write(
    `kedge: a Kubernetes-style container cluster for edge boxes\n\n${sections.join('\n')}\nUse "kedge <command> --help" for a command's flags.\n`,
  );
}

function commandHelp(io: CliIo, c: CommandSpec): void {
  const own = c.flags ?? [];
  const conn =
    c.usesCluster === false ? [] : CONNECTION_FLAGS.filter((f) => !own.some((o) => o.name === f.name));
  io.stdout.write(
    `${c.summary}\n\nUsage:\n  ${c.usage}\n${own.length ? `\nFlags:\n${flagHelp(own)}\n` : ''}${conn.length ? `\nConnection flags:\n${flagHelp(conn)}\n` : ''}`,
  );
}

/** Runs one CLI invocation and returns its exit code (0 ok, 1 failed, 2 bad usage). */
export async function runCli(
  argv: string[],
  io: CliIo,
  options: { commands?: readonly CommandSpec[]; signal?: AbortSignal } = {},
): Promise<number> {
  const commands = options.commands ?? COMMANDS;
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    if (topic) commandHelp(io, topic);
    else usage(io, commands);
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`error: unknown command "${name}" for "kedge"\nRun 'kedge help' for usage.\n`);
    return 2;
  }
  if (rest.includes('--help') || (rest.includes('-h') && !command.flags?.some((f) => f.short === 'h'))) {
    const dd = rest.indexOf('--');
    const at = Math.max(rest.indexOf('--help'), rest.indexOf('-h'));
    if (dd < 0 || at < dd) {
      commandHelp(io, command);
      return 0;
    }
  }
  const own = command.flags ?? [];
  const specs = [
    ...own,
    ...(command.usesCluster === false
      ? []
      : CONNECTION_FLAGS.filter((f) => !own.some((o) => o.name === f.name))),
  ];
  const env = io.env ?? process.env;
  const signal = options.signal ?? new AbortController().signal;
  let inv: ReturnType<typeof makeInvocation> | undefined;
  try {
    const parsed = parseArgs(rest, specs);
    inv = makeInvocation({
      args: parsed.positionals,
      flags: parsed.flags,
      afterDashDash: parsed.afterDashDash,
      io,
      colors: paletteFor(io.stdout, env),
      signal,
    });
    return await command.run(inv);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`${err.display}\n`);
      return err.exitCode;
    }
    // Errors that are values with a kind (kedge's own) or a failed system call on something the
    // user named (a missing file, a refused port) say what happened; anything else is our bug.
    if (isExpectedError(err)) {
      io.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    io.stderr.write(
      `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n(this is a bug in kedge; please report it)\n`,
    );
    return 1;
  } finally {
    inv?.dispose();
  }
}

function isExpectedError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  const { kind, code, syscall } = err as Error & { kind?: unknown; code?: unknown; syscall?: unknown };
  return typeof kind === 'string' || (typeof code === 'string' && typeof syscall === 'string');
}
