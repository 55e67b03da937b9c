/**
 * `kedge create -f FILE` (POST, AlreadyExists is an error) and the generators kubectl has:
 * `create namespace NAME`, `create configmap|secret generic NAME --from-literal k=v --from-file [k=]path`,
 * `create deployment NAME --image=...`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { KubeObject, ResourceInfo } from '../api.ts';
import { ApiError } from '../client/api-error.ts';
import { qualifiedKind, resolveType } from '../client/resources.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { readManifests } from '../manifests/read.ts';
import { placeObject } from './object-target.ts';

export const createCommand: CommandSpec = {
  name: 'create',
  group: 'basic',
  summary: 'Create resources from files, or namespaces, configmaps, secrets and deployments',
  usage: `kedge create -f FILENAME
  kedge create namespace NAME
  kedge create configmap NAME [--from-literal=k=v]... [--from-file=[key=]path]...
  kedge create secret generic NAME [--from-literal=k=v]... [--from-file=[key=]path]...
  kedge create deployment NAME --image=IMAGE [--replicas=N] [--port=P]`,
  subcommands: ['namespace', 'configmap', 'secret', 'deployment'],
  flags: [
    { name: 'filename', short: 'f', type: 'strings', help: 'Files, directories or - for stdin' },
    { name: 'from-literal', type: 'strings', help: 'A key=value pair (repeatable)' },
    { name: 'from-file', type: 'strings', help: 'A file, or key=file, or a folder of files (repeatable)' },
    { name: 'image', type: 'string', help: 'Container image (create deployment)' },
    { name: 'replicas', short: 'r', type: 'int', help: 'Replicas (create deployment)', default: 1 },
    { name: 'port', type: 'int', help: 'Container port (create deployment)' },
    { name: 'output', short: 'o', type: 'string', help: 'name: print only type/name' },
  ],
  run: runCreate,
};

async function runCreate(inv: Invocation): Promise<number> {
  const client = inv.client();
  const print = (info: ResourceInfo, o: KubeObject) =>
    inv.out(
      inv.flags.string('output') === 'name'
        ? `${qualifiedKind(info)}/${o.metadata.name}\n`
        : `${qualifiedKind(info)}/${o.metadata.name} created\n`,
    );
  if (inv.flags.strings('filename').length > 0) {
    let failures = 0;
    for (const m of await readManifests(inv.flags.strings('filename'), inv.io.stdin)) {
      const p = placeObject(m, inv.flags.string('namespace'), client.namespace);
      try {
        print(
          p.info,
          await client.create(p.info, p.namespace, p.object, {
            fieldManager: 'kubectl-create',
            errorContext: `error when creating "${m.source}"`,
          }),
        );
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        failures++;
        inv.err(`${e.display}\n`);
      }
    }
    return failures > 0 ? 1 : 0;
  }
  const [what, ...rest] = inv.args;
  const generated = generate(inv, what, rest);
  const info = resolveType(generated.kind as string);
  const ns = info.namespaced ? inv.namespace() : undefined;
  if (ns) generated.metadata.namespace = ns;
  print(info, await client.create(info, ns, generated, { fieldManager: 'kubectl-create' }));
  return 0;
}

function generate(inv: Invocation, what: string | undefined, rest: string[]): KubeObject {
  const nameArg = (args: string[], usage: string): string => {
    if (args.length !== 1 || !args[0])
      throw usageError(`exactly one NAME is required, got ${args.length}`, `Usage: ${usage}`);
    return args[0];
  };
  switch (what) {
    case 'namespace':
    case 'ns':
      return {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: nameArg(rest, 'kedge create namespace NAME') },
      };
    case 'configmap':
    case 'cm':
      return {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: nameArg(rest, 'kedge create configmap NAME [--from-literal=k=v]') },
        data: collectData(inv, false),
      } as KubeObject;
    case 'secret': {
      const [type, ...names] = rest;
      if (type !== 'generic')
        throw usageError(
          `unknown secret type "${type ?? ''}"; kedge creates generic secrets`,
          'Usage: kedge create secret generic NAME --from-literal=k=v',
        );
      return {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: { name: nameArg(names, 'kedge create secret generic NAME --from-literal=k=v') },
        data: collectData(inv, true),
      } as KubeObject;
    }
    case 'deployment':
    case 'deploy': {
      const name = nameArg(rest, 'kedge create deployment NAME --image=IMAGE');
      const image = inv.flags.string('image');
      if (!image)
        throw usageError(
          'required flag "image" not set',
          'Example: kedge create deployment web --image=localhost/kedge/busybox:latest',
        );
      const port = inv.flags.int('port');
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, labels: { app: name } },
        spec: {
          replicas: inv.flags.int('replicas') ?? 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                { name: containerName(image), image, ...(port ? { ports: [{ containerPort: port }] } : {}) },
              ],
            },
          },
        },
      } as KubeObject;
    }
    default:
      throw usageError(
        what ? `unknown thing to create: "${what}"` : 'nothing to create: pass -f FILE or a kind',
        'Usage: kedge create -f FILE | namespace NAME | configmap NAME | secret generic NAME | deployment NAME --image=IMAGE',
      );
  }
}

/** `busybox` from `localhost/kedge/busybox:latest`, as kubectl names generated containers. */
export function containerName(image: string): string {
  const last = image.split('/').pop() ?? image;
  return last.split(/[:@]/)[0]?.replace(/[^a-z0-9-]/g, '-') || 'app';
}

function collectData(inv: Invocation, base64: boolean): Record<string, string> {
  const data: Record<string, string> = {};
  const put = (k: string, v: Buffer) => {
    if (k in data) throw usageError(`cannot add key "${k}": it is already set`);
    data[k] = base64 ? v.toString('base64') : v.toString('utf8');
  };
  for (const lit of inv.flags.strings('from-literal')) {
    const eq = lit.indexOf('=');
    if (eq <= 0) throw usageError(`invalid literal source ${lit}, expected key=value`);
    put(lit.slice(0, eq), Buffer.from(lit.slice(eq + 1)));
  }
  for (const src of inv.flags.strings('from-file')) {
    const eq = src.indexOf('=');
    const [key, path] = eq > 0 ? [src.slice(0, eq), src.slice(eq + 1)] : [undefined, src];
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new CliError('Manifest', `error reading ${path}: no such file or directory`);
    }
    if (isDir) {
      for (const f of readdirSync(path).sort()) {
        const full = join(path, f);
        if (statSync(full).isFile()) put(f, readFileSync(full));
      }
    } else put(key ?? basename(path), readFileSync(path));
  }
  return data;
}
