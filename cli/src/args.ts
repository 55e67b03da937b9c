/**
 * kubectl-style argument parsing (pflag's rules): `--name value`, `--name=value`, `-n value`,
 * `-nvalue`, `-n=value`, combined boolean shorts (`-wA`), `--flag=false`, repeatable flags, and `--`
 * ending the flags (what follows is kept apart, for `run NAME -- cmd args`). Pure.
 */
import { usageError } from './errors.ts';

export type FlagType = 'bool' | 'string' | 'strings' | 'int';

export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: FlagType;
  readonly help: string;
  /** Shown in help and returned when the flag is absent. */
  readonly default?: string | number | boolean;
}

export type FlagValue = string | number | boolean | string[];

export class Flags {
  readonly #values: ReadonlyMap<string, FlagValue>;
  readonly #specs: ReadonlyMap<string, FlagSpec>;

  constructor(values: ReadonlyMap<string, FlagValue>, specs: ReadonlyMap<string, FlagSpec>) {
    this.#values = values;
    this.#specs = specs;
  }
  /** Whether the user passed the flag at all. */
  has(name: string): boolean {
    return this.#values.has(name);
  }
  string(name: string): string | undefined {
    const v = this.#values.get(name) ?? this.#specs.get(name)?.default;
    return v === undefined ? undefined : String(v);
  }
  bool(name: string): boolean {
    const v = this.#values.get(name) ?? this.#specs.get(name)?.default;
    return v === true;
  }
  int(name: string): number | undefined {
    const v = this.#values.get(name) ?? this.#specs.get(name)?.default;
    return typeof v === 'number' ? v : undefined;
  }
  strings(name: string): string[] {
    const v = this.#values.get(name);
    return Array.isArray(v) ? v : [];
  }
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: Flags;
  /** The words after `--`, untouched. */
  readonly afterDashDash: string[];
}

/** Parses argv against the flag specs; an unknown flag or a missing value is a usage error. */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const values = new Map<string, FlagValue>();
  const positionals: string[] = [];
  let afterDashDash: string[] = [];

  const set = (spec: FlagSpec, raw: string | undefined, shown: string): void => {
    if (spec.type === 'bool') {
      if (raw === undefined || raw === 'true') values.set(spec.name, true);
      else if (raw === 'false') values.set(spec.name, false);
      else throw usageError(`invalid argument "${raw}" for "${shown}" flag: use true or false`);
      return;
    }
    if (raw === undefined) throw usageError(`flag needs an argument: ${shown}`);
    if (spec.type === 'int') {
      if (!/^-?\d+$/.test(raw))
        throw usageError(`invalid argument "${raw}" for "${shown}" flag: not a whole number`);
      values.set(spec.name, Number(raw));
    } else if (spec.type === 'strings') {
      const prev = values.get(spec.name);
      values.set(spec.name, [...(Array.isArray(prev) ? prev : []), raw]);
    } else values.set(spec.name, raw);
  };

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') {
      afterDashDash = argv.slice(i + 1);
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const spec = byName.get(name);
      if (!spec)
        throw usageError(`unknown flag: --${name}`, "See 'kedge <command> --help' for the flags it takes.");
      let raw = eq < 0 ? undefined : word.slice(eq + 1);
      if (raw === undefined && spec.type !== 'bool') raw = argv[++i];
      set(spec, raw, `--${name}`);
      continue;
    }
    if (word.startsWith('-') && word.length > 1 && !/^-\d/.test(word)) {
      // A run of shorts: booleans may be combined; a short taking a value takes the rest of the word.
      for (let j = 1; j < word.length; j++) {
        const ch = word[j] as string;
        const spec = byShort.get(ch);
        if (!spec) throw usageError(`unknown shorthand flag: '${ch}' in ${word}`);
        if (spec.type === 'bool') {
          set(spec, undefined, `-${ch}`);
          continue;
        }
        let raw = word.slice(j + 1);
        if (raw.startsWith('=')) raw = raw.slice(1);
        set(spec, raw === '' ? argv[++i] : raw, `-${ch}`);
        break;
      }
      continue;
    }
    positionals.push(word);
  }
  return { positionals, flags: new Flags(values, byName), afterDashDash };
}

/** Help lines for a set of flags, aligned. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const arg = s.type === 'bool' ? '' : s.type === 'int' ? ' int' : ' string';
    return `${s.short ? `-${s.short}, ` : '    '}--${s.name}${arg}`;
  });
  const width = Math.max(0, ...left.map((l) => l.length));
  return specs
    .map((s, i) => {
      const def =
        s.default !== undefined && s.default !== false ? ` (default ${JSON.stringify(s.default)})` : '';
      return `  ${(left[i] as string).padEnd(width)}   ${s.help}${def}`;
    })
    .join('\n');
}
