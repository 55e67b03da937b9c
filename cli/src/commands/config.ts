/** `kedge config view|get-contexts|current-context|use-context|set-context --current --namespace`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { Kubeconfig } from '../client/kubeconfig.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { toYaml } from '../printers/objects.ts';
import { formatTable } from '../printers/table.ts';

const SUBCOMMANDS = ['view', 'get-contexts', 'current-context', 'use-context', 'set-context'] as const;

export const configCommand: CommandSpec = {
  name: 'config',
  group: 'settings',
  summary: 'Show and switch kubeconfig contexts',
  usage: `kedge config view [--raw] [--minify] [-o yaml|json]
  kedge config get-contexts
  kedge config current-context
  kedge config use-context NAME
  kedge config set-context --current --namespace=NS`,
  subcommands: SUBCOMMANDS,
  usesCluster: false,
  flags: [
    { name: 'kubeconfig', type: 'string', help: 'Path to the kubeconfig file' },
    { name: 'context', type: 'string', help: 'The context to show (view --minify)' },
    { name: 'raw', type: 'bool', help: 'view: show secrets (tokens, keys) as they are' },
    { name: 'minify', type: 'bool', help: 'view: only the current context and what it uses' },
    { name: 'output', short: 'o', type: 'string', help: 'view: yaml or json', default: 'yaml' },
    { name: 'current', type: 'bool', help: 'set-context: change the current context' },
    { name: 'namespace', type: 'string', help: 'set-context: the namespace to set' },
  ],
  run: runConfig,
};

async function runConfig(inv: Invocation): Promise<number> {
  const [sub, ...rest] = inv.args;
  const cfg = inv.kubeconfig();
  switch (sub) {
    case 'view': {
      const doc = viewDocument(cfg, {
        raw: inv.flags.bool('raw'),
        minify: inv.flags.bool('minify'),
        context: inv.flags.string('context'),
      });
      inv.out(inv.flags.string('output') === 'json' ? `${JSON.stringify(doc, null, 4)}\n` : toYaml(doc));
      return 0;
    }
    case 'get-contexts': {
      const rows = cfg.contexts
        .filter((c) => rest.length === 0 || rest.includes(c.name))
        .map((c) => [
          c.name === cfg.currentContext ? '*' : '',
          c.name,
          c.value.cluster,
          c.value.user,
          c.value.namespace ?? '',
        ]);
      inv.out(formatTable(['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE'], rows));
      return 0;
    }
    case 'current-context':
      if (!cfg.currentContext)
        throw new CliError(
          'Config',
          'current-context is not set; pick one with `kedge config use-context NAME`',
        );
      inv.out(`${cfg.currentContext}\n`);
      return 0;
    case 'use-context': {
      const [name] = rest;
      if (!name) throw usageError('use-context needs a context name', 'See `kedge config get-contexts`.');
      const ctx = cfg.contexts.find((c) => c.name === name);
      if (!ctx)
        throw new CliError(
          'Config',
          `no context exists with the name: "${name}"; see \`kedge config get-contexts\``,
        );
      editFile(cfg.files[0] as string, (doc) => doc.set('current-context', name));
      inv.out(`Switched to context "${name}".\n`);
      return 0;
    }
    case 'set-context': {
      const name = inv.flags.bool('current') ? cfg.currentContext : rest[0];
      const ns = inv.flags.string('namespace');
      if (!name || ns === undefined)
        throw usageError('set-context needs --current (or a NAME) and --namespace=NS');
      const ctx = cfg.contexts.find((c) => c.name === name);
      if (!ctx) throw new CliError('Config', `no context exists with the name: "${name}"`);
      editFile(ctx.file, (doc) => {
        const contexts = doc.get('contexts') as {
          items: { get(k: string): unknown; setIn(p: string[], v: unknown): void }[];
        };
        const item = contexts.items.find((i) => i.get('name') === name);
        item?.setIn(['context', 'namespace'], ns);
      });
      inv.out(`Context "${name}" modified.\n`);
      return 0;
    }
    default:
      throw usageError(`unknown config subcommand "${sub ?? ''}"`, `Use one of: ${SUBCOMMANDS.join(', ')}.`);
  }
}

/** Rewrites one kubeconfig file in place, keeping its comments and layout. */
function editFile(file: string, change: (doc: ReturnType<typeof parseDocument>) => void): void {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError('Config', `cannot read ${file}: ${(e as Error).message}`);
  }
  const doc = parseDocument(text);
  change(doc);
  writeFileSync(file, doc.toString(), { mode: 0o600 });
}

/** The merged config as kubectl's `config view` prints it: secrets redacted unless raw. Pure. */
export function viewDocument(
  cfg: Kubeconfig,
  o: { raw: boolean; minify: boolean; context?: string | undefined },
): Record<string, unknown> {
  const current = o.context ?? cfg.currentContext;
  const ctx = cfg.contexts.find((c) => c.name === current);
  const contexts = o.minify ? (ctx ? [ctx] : []) : cfg.contexts;
  const clusters = o.minify ? cfg.clusters.filter((c) => c.name === ctx?.value.cluster) : cfg.clusters;
  const users = o.minify ? cfg.users.filter((u) => u.name === ctx?.value.user) : cfg.users;
  const secret = (v: string | undefined, kind: 'data' | 'redacted') =>
    v === undefined ? undefined : o.raw ? v : kind === 'data' ? 'DATA+OMITTED' : 'REDACTED';
  const strip = (x: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined));
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((c) => ({
      name: c.name,
      cluster: strip({
        server: c.value.server,
        'certificate-authority': c.value.certificateAuthority,
        'certificate-authority-data': secret(c.value.certificateAuthorityData, 'data'),
        'insecure-skip-tls-verify': c.value.insecureSkipTlsVerify,
        'tls-server-name': c.value.tlsServerName,
      }),
    })),
    users: users.map((u) => ({
      name: u.name,
      user: strip({
        token: secret(u.value.token, 'redacted'),
        tokenFile: u.value.tokenFile,
        'client-certificate': u.value.clientCertificate,
        'client-certificate-data': secret(u.value.clientCertificateData, 'data'),
        'client-key': u.value.clientKey,
        'client-key-data': secret(u.value.clientKeyData, 'data'),
      }),
    })),
    contexts: contexts.map((c) => ({ name: c.name, context: strip({ ...c.value }) })),
    'current-context': current ?? '',
    preferences: {},
  };
}
