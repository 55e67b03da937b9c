/**
 * What a command is: a name, help, its flags and a run function given an Invocation (parsed
 * arguments, the terminal, and a lazily made API client). commands/index.ts holds the table; a new
 * command (init, agent, up, cluster status, ...) is one file exporting a CommandSpec, added there.
 */
import { readFileSync } from 'node:fs';
import type { FlagSpec, Flags } from './args.ts';
import { KubeClient } from './client/kube-client.ts';
import {
  type ConnectionOverrides,
  type Kubeconfig,
  loadKubeconfig,
  resolveConnection,
} from './client/kubeconfig.ts';
import { defaultRetry, Transport } from './client/transport.ts';
import type { Palette } from './printers/color.ts';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin?: NodeJS.ReadableStream;
  readonly env?: NodeJS.ProcessEnv;
}

export type CommandGroup = 'basic' | 'deploy' | 'inspect' | 'cluster' | 'settings' | 'other';

export interface CommandSpec {
  readonly name: string;
  readonly group: CommandGroup;
  readonly summary: string;
  /** Usage lines and examples, shown by `kedge <name> --help`. */
  readonly usage: string;
  readonly flags?: readonly FlagSpec[];
  /** Whether the connection flags (--kubeconfig, -n, ...) apply; true unless said otherwise. */
  readonly usesCluster?: boolean;
  /** Subcommand words, for shell completion. */
  readonly subcommands?: readonly string[];
  run(inv: Invocation): Promise<number>;
}

export interface Invocation {
  readonly args: readonly string[];
  readonly flags: Flags;
  readonly afterDashDash: readonly string[];
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
  readonly colors: Palette;
  /** Aborted on Ctrl-C, so watches and follows end cleanly. */
  readonly signal: AbortSignal;
  /** The API client for the selected context; made on first use. */
  client(): KubeClient;
  /** The merged kubeconfig (for `config`). */
  kubeconfig(): Kubeconfig;
  /** -n, else the context's namespace, else "default". */
  namespace(): string;
  now(): number;
  out(text: string): void;
  err(text: string): void;
}

/** Flags every cluster command takes, as kubectl's global flags. */
export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  {
    name: 'kubeconfig',
    type: 'string',
    help: 'Path to the kubeconfig file (else $KUBECONFIG, else ~/.kube/config)',
  },
  { name: 'context', type: 'string', help: 'The kubeconfig context to use' },
  { name: 'namespace', short: 'n', type: 'string', help: 'The namespace for this request' },
  { name: 'server', short: 's', type: 'string', help: 'The address of the API server' },
  { name: 'token', type: 'string', help: 'Bearer token for the API server' },
  { name: 'certificate-authority', type: 'string', help: "Path to the cluster CA's certificate" },
  { name: 'insecure-skip-tls-verify', type: 'bool', help: "Do not check the server's certificate (unsafe)" },
];

export interface InvocationParts {
  readonly args: readonly string[];
  readonly flags: Flags;
  readonly afterDashDash: readonly string[];
  readonly io: CliIo;
  readonly colors: Palette;
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

export function makeInvocation(p: InvocationParts): Invocation & { dispose(): void } {
  const env = p.io.env ?? process.env;
  let config: Kubeconfig | undefined;
  let client: KubeClient | undefined;
  const kubeconfig = (): Kubeconfig => (config ??= loadKubeconfig(p.flags.string('kubeconfig'), env));
  const overrides = (): ConnectionOverrides => {
    const o: Record<string, string | boolean> = {};
    for (const [flag, key] of [
      ['context', 'context'],
      ['namespace', 'namespace'],
      ['server', 'server'],
      ['token', 'token'],
      ['certificate-authority', 'certificateAuthority'],
    ] as const) {
      const v = p.flags.string(flag);
      if (v !== undefined) o[key] = v;
    }
    if (p.flags.has('insecure-skip-tls-verify'))
      o.insecureSkipTlsVerify = p.flags.bool('insecure-skip-tls-verify');
    return o as ConnectionOverrides;
  };
  const connect = (): KubeClient => {
    if (client) return client;
    const connection = resolveConnection(kubeconfig(), overrides(), (f) => readFileSync(f, 'utf8'));
    let told = false;
    const transport = new Transport(connection, {
      ...defaultRetry,
      onRetry: (reason, ms) => {
        // Once per command is enough to explain a pause (an election usually ends within seconds).
        if (told) return;
        told = true;
        p.io.stderr.write(
          `waiting for the API (${reason}); retrying every ${Math.max(ms / 1000, 0.25)}s...\n`,
        );
      },
    });
    client = new KubeClient(transport, connection.namespace);
    return client;
  };
  return {
    args: p.args,
    flags: p.flags,
    afterDashDash: p.afterDashDash,
    io: p.io,
    env,
    colors: p.colors,
    signal: p.signal,
    client: connect,
    kubeconfig,
    namespace: () => p.flags.string('namespace') ?? connect().namespace,
    now: p.now ?? Date.now,
    out: (t) => p.io.stdout.write(t),
    err: (t) => p.io.stderr.write(t),
    dispose: () => client?.close(),
  };
}
