/**
 * kubeconfig: the file kubectl reads (clusters, users, contexts, current-context), found through
 * --kubeconfig, then $KUBECONFIG (a ':'-separated list merged as kubectl merges: the first file
 * to name a cluster, user, context or current-context wins), then ~/.kube/config. Parsing and
 * resolution are pure; reading files is in loadKubeconfig.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliError } from '../errors.ts';

export interface KubeCluster {
  readonly server: string;
  readonly certificateAuthority?: string;
  readonly certificateAuthorityData?: string;
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string;
}

export interface KubeUser {
  readonly token?: string;
  readonly tokenFile?: string;
  readonly clientCertificate?: string;
  readonly clientCertificateData?: string;
  readonly clientKey?: string;
  readonly clientKeyData?: string;
}

export interface KubeContext {
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
}

export interface Named<T> {
  readonly name: string;
  readonly value: T;
  /** The file it came from: relative paths inside it resolve against this file's folder. */
  readonly file: string;
}

export interface Kubeconfig {
  readonly clusters: readonly Named<KubeCluster>[];
  readonly users: readonly Named<KubeUser>[];
  readonly contexts: readonly Named<KubeContext>[];
  readonly currentContext?: string;
  /** The files read, in precedence order; the first one is where `use-context` writes. */
  readonly files: readonly string[];
}

const configError = (message: string): CliError => new CliError('Config', message);

/** Parses one kubeconfig file's text. Unknown fields are ignored, as kubectl does. */
export function parseKubeconfig(text: string, file: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (e) {
    throw configError(`${file} is not valid YAML (${(e as Error).message.split('\n')[0]}); fix or remove it`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw configError(`${file} is not a kubeconfig (expected a mapping with clusters, users and contexts)`);
  const d = doc as Record<string, unknown>;
  const list = (key: string, inner: string): { name: string; body: Record<string, unknown> }[] => {
    const items = d[key];
    if (items === undefined || items === null) return [];
    if (!Array.isArray(items)) throw configError(`${file}: "${key}" must be a list`);
    return items.map((item, i) => {
      const it = item as Record<string, unknown> | null;
      const name = it?.name;
      if (typeof name !== 'string' || name === '') throw configError(`${file}: ${key}[${i}] has no name`);
      const body = it?.[inner];
      return {
        name,
        body: typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {},
      };
    });
  };
  const str = (o: Record<string, unknown>, k: string): string | undefined =>
    typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined;
  const strip = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  const current = str(d, 'current-context');
  return {
    clusters: list('clusters', 'cluster').map(({ name, body }) => ({
      name,
      file,
      value: strip({
        server: str(body, 'server') ?? '',
        certificateAuthority: str(body, 'certificate-authority'),
        certificateAuthorityData: str(body, 'certificate-authority-data'),
        insecureSkipTlsVerify: body['insecure-skip-tls-verify'] === true ? true : undefined,
        tlsServerName: str(body, 'tls-server-name'),
      }),
    })),
    users: list('users', 'user').map(({ name, body }) => ({
      name,
      file,
      value: strip({
        token: str(body, 'token'),
        tokenFile: str(body, 'tokenFile'),
        clientCertificate: str(body, 'client-certificate'),
        clientCertificateData: str(body, 'client-certificate-data'),
        clientKey: str(body, 'client-key'),
        clientKeyData: str(body, 'client-key-data'),
      }),
    })),
    contexts: list('contexts', 'context').map(({ name, body }) => ({
      name,
      file,
      value: strip({
        cluster: str(body, 'cluster') ?? '',
        user: str(body, 'user') ?? '',
        namespace: str(body, 'namespace'),
      }),
    })),
    ...(current ? { currentContext: current } : {}),
    files: [file],
  };
}

/** Merges configs in precedence order: the first to define a name (or current-context) wins. */
export function mergeKubeconfigs(configs: readonly Kubeconfig[]): Kubeconfig {
  const firstByName = <T>(lists: readonly (readonly Named<T>[])[]): Named<T>[] => {
    const seen = new Set<string>();
    const out: Named<T>[] = [];
    for (const list of lists)
      for (const item of list)
        if (!seen.has(item.name)) {
          seen.add(item.name);
          out.push(item);
        }
    return out;
  };
  const currentContext = configs.find((c) => c.currentContext)?.currentContext;
  return {
    clusters: firstByName(configs.map((c) => c.clusters)),
    users: firstByName(configs.map((c) => c.users)),
    contexts: firstByName(configs.map((c) => c.contexts)),
    ...(currentContext ? { currentContext } : {}),
    files: configs.flatMap((c) => c.files),
  };
}

/** The kubeconfig files to read, in precedence order, for these flags and environment. */
export function kubeconfigPaths(explicit: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (explicit) return [explicit];
  const fromEnv = (env.KUBECONFIG ?? '').split(':').filter((p) => p !== '');
  if (fromEnv.length > 0) return fromEnv;
  return [join(env.HOME || homedir(), '.kube', 'config')];
}

/**
 * Reads and merges the kubeconfig files. A missing --kubeconfig is an error; missing files from
 * $KUBECONFIG are skipped (as kubectl does); nothing at all gives an empty config.
 */
export function loadKubeconfig(explicit: string | undefined, env: NodeJS.ProcessEnv): Kubeconfig {
  const paths = kubeconfigPaths(explicit, env);
  if (explicit && !existsSync(explicit))
    throw configError(`the kubeconfig file ${explicit} does not exist; check the --kubeconfig path`);
  const configs = paths
    .filter((p) => existsSync(p))
    .map((p) => {
      const file = resolve(p);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw configError(`cannot read kubeconfig ${file}: ${(e as Error).message}`);
      }
      return parseKubeconfig(text, file);
    });
  const merged = mergeKubeconfigs(configs);
  return merged.files.length > 0 ? merged : { ...merged, files: [resolve(paths[0] as string)] };
}

/** The connection flags that override a kubeconfig. */
export interface ConnectionOverrides {
  readonly context?: string;
  readonly namespace?: string;
  readonly server?: string;
  readonly token?: string;
  readonly certificateAuthority?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

/** Everything needed to talk to one API server, with file references already read. */
export interface Connection {
  readonly server: URL;
  readonly namespace: string;
  readonly contextName?: string;
  readonly ca?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  readonly token?: string;
  readonly clientCert?: { readonly cert: string; readonly key: string };
}

type ReadFile = (path: string) => string;

/** Resolves the context to use into a Connection. `readFile` reads CA, token and key files. */
export function resolveConnection(
  config: Kubeconfig,
  o: ConnectionOverrides,
  readFile: ReadFile,
): Connection {
  const contextName = o.context ?? config.currentContext;
  const ctx = contextName ? config.contexts.find((c) => c.name === contextName) : undefined;
  if (o.context && !ctx)
    throw configError(
      `context "${o.context}" does not exist in ${config.files.join(', ')}; see \`kedge config get-contexts\``,
    );
  const cluster = ctx ? config.clusters.find((c) => c.name === ctx.value.cluster) : undefined;
  const user = ctx ? config.users.find((u) => u.name === ctx.value.user) : undefined;
  if (ctx && !cluster && !o.server)
    throw configError(
      `context "${ctx.name}" names cluster "${ctx.value.cluster}", which is not in the kubeconfig`,
    );
  const serverText = o.server ?? cluster?.value.server;
  if (!serverText)
    throw configError(
      `no cluster to talk to: no kubeconfig found at ${config.files.join(', ')}; run \`kedge init\` (or \`kedge up\`) to create one, or pass --kubeconfig or --server`,
    );
  let server: URL;
  try {
    server = new URL(/^[a-z]+:\/\//i.test(serverText) ? serverText : `https://${serverText}`);
  } catch {
    throw configError(`the server address "${serverText}" is not a URL; use https://host:port`);
  }
  const rel = (file: string, base: string | undefined): string =>
    isAbsolute(file) || !base ? file : join(dirname(base), file);
  const read = (what: string, file: string, base: string | undefined): string => {
    const path = rel(file, base);
    try {
      return readFile(path);
    } catch (e) {
      throw configError(`cannot read the ${what} file ${path}: ${(e as Error).message}`);
    }
  };
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

  let ca: string | undefined;
  if (o.certificateAuthority) ca = read('certificate authority', o.certificateAuthority, undefined);
  else if (cluster?.value.certificateAuthorityData) ca = b64(cluster.value.certificateAuthorityData);
  else if (cluster?.value.certificateAuthority)
    ca = read('certificate authority', cluster.value.certificateAuthority, cluster.file);

  let token = o.token;
  if (token === undefined && user?.value.token) token = user.value.token;
  if (token === undefined && user?.value.tokenFile)
    token = read('token', user.value.tokenFile, user.file).trim();

  let clientCert: Connection['clientCert'];
  const u = user?.value;
  if (u && o.token === undefined && (u.clientCertificateData || u.clientCertificate)) {
    const cert = u.clientCertificateData
      ? b64(u.clientCertificateData)
      : read('client certificate', u.clientCertificate as string, user?.file);
    const keySource = u.clientKeyData ?? u.clientKey;
    if (!keySource) throw configError(`user "${user?.name}" has a client certificate but no client key`);
    const key = u.clientKeyData
      ? b64(u.clientKeyData)
      : read('client key', u.clientKey as string, user?.file);
    clientCert = { cert, key };
  }

  return {
    server,
    namespace: o.namespace ?? ctx?.value.namespace ?? 'default',
    ...(contextName && ctx ? { contextName } : {}),
    ...(ca !== undefined ? { ca } : {}),
    insecureSkipTlsVerify: o.insecureSkipTlsVerify ?? cluster?.value.insecureSkipTlsVerify ?? false,
    ...(cluster?.value.tlsServerName ? { tlsServerName: cluster.value.tlsServerName } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(clientCert ? { clientCert } : {}),
  };
}
