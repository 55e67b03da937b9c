/**
 * `--datastore etcd://host:port[,host:port][/prefix]` (or `etcds://` for TLS, with
 * `--datastore-ca/-cert/-key` files) -> the etcd client the EtcdBackend uses. The optional path
 * is the key prefix (default /kedge), so several kedge clusters can share one etcd.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { EtcdBackend } from './etcd-backend.ts';
import { DEFAULT_KEY_PREFIX } from './etcd-keys.ts';

/** Unary calls give up after this long so an unreachable etcd becomes a 503, not a hung request. */
export const ETCD_CALL_TIMEOUT_MS = 5_000;

export interface DatastoreTlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface DatastoreConfig {
  /** `http://host:port` or `https://host:port`, as the etcd client wants them. */
  readonly endpoints: readonly string[];
  readonly keyPrefix: string;
  readonly tls?: DatastoreTlsFiles;
}

export class DatastoreConfigError extends Error {
  readonly kind = 'Invalid';
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Parses the --datastore value; a mistake comes back as a value that says what to write instead. */
export function parseDatastore(
  text: string,
  tls: DatastoreTlsFiles = {},
): DatastoreConfig | DatastoreConfigError {
  const match = /^(etcd|etcds):\/\/([^/]*)(\/.*)?$/.exec(text);
  if (match === null)
    return new DatastoreConfigError(
      `--datastore "${text}" is not an etcd address: write etcd://host:port[,host:port][/prefix] (etcds:// for TLS)`,
    );
  const secure = match[1] === 'etcds';
  const hosts = (match[2] ?? '').split(',').filter((h) => h !== '');
  if (hosts.length === 0) return new DatastoreConfigError(`--datastore "${text}" names no etcd endpoint`);
  for (const h of hosts) {
    const hp = HOST_PORT.exec(h);
    const port = Number(hp?.[2]);
    if (hp === null || port < 1 || port > 65535)
      return new DatastoreConfigError(`--datastore endpoint "${h}" is not host:port (e.g. 10.0.0.5:2379)`);
  }
  const prefix = (match[3] ?? DEFAULT_KEY_PREFIX).replace(/\/+$/, '');
  if (prefix === '')
    return new DatastoreConfigError('--datastore key prefix must not be "/": name one, e.g. /kedge');
  const hasTlsFiles = tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined;
  if (!secure && hasTlsFiles)
    return new DatastoreConfigError('--datastore-ca/-cert/-key need an etcds:// datastore address');
  if ((tls.cert === undefined) !== (tls.key === undefined))
    return new DatastoreConfigError('--datastore-cert and --datastore-key go together: give both or neither');
  if (secure && tls.ca === undefined)
    return new DatastoreConfigError(
      "an etcds:// datastore needs --datastore-ca (the CA that signed etcd's certificate)",
    );
  const scheme = secure ? 'https' : 'http';
  return {
    endpoints: hosts.map((h) => `${scheme}://${h}`),
    keyPrefix: prefix,
    ...(secure ? { tls } : {}),
  };
}

/** The datastore as a user gives it: the --datastore address and the --datastore-ca/-cert/-key files. */
export interface DatastoreFlags extends DatastoreTlsFiles {
  readonly address: string;
}

/**
 * The `kedge agent` arguments that select this datastore (what `kedge up --datastore` passes to
 * every agent it starts), checked first so a typo fails before any agent runs. File paths become
 * absolute: the agents may not share the caller's working directory.
 */
export function datastoreArgs(flags: DatastoreFlags): string[] | DatastoreConfigError {
  const files = (['ca', 'cert', 'key'] as const).flatMap((name) => {
    const file = flags[name];
    return file === undefined ? [] : [[name, resolve(file)] as const];
  });
  const parsed = parseDatastore(flags.address, Object.fromEntries(files));
  if (parsed instanceof DatastoreConfigError) return parsed;
  return ['--datastore', flags.address, ...files.flatMap(([name, file]) => [`--datastore-${name}`, file])];
}

/**
 * gRPC keepalive on the etcd connection: a frozen etcd (or a dead link that sends no reset) would
 * otherwise leave every watch silent. Kubernetes' apiserver uses 30 s / 10 s; etcd refuses pings
 * more often than every 5 s (--grpc-keepalive-min-time), and only while a call (a watch) is open.
 */
export interface EtcdKeepalive {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export const DEFAULT_ETCD_KEEPALIVE: EtcdKeepalive = { intervalMs: 15_000, timeoutMs: 5_000 };

/** A client for the configured etcd (it connects lazily; the first call that fails becomes a 503). */
export function connectEtcd(config: DatastoreConfig, keepalive = DEFAULT_ETCD_KEEPALIVE): Etcd3 {
  const tls = config.tls;
  const { Etcd3 } = loadEtcdClient();
  return new Etcd3({
    hosts: [...config.endpoints],
    grpcOptions: {
      'grpc.keepalive_time_ms': keepalive.intervalMs,
      'grpc.keepalive_timeout_ms': keepalive.timeoutMs,
    },
    ...(tls?.ca === undefined
      ? {}
      : {
          credentials: {
            rootCertificate: readFileSync(tls.ca),
            ...(tls.cert !== undefined && tls.key !== undefined
              ? { certChain: readFileSync(tls.cert), privateKey: readFileSync(tls.key) }
              : {}),
          },
        }),
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS },
  });
}

/**
 * The etcd3 package, loaded only when a datastore is configured: it reads its gRPC definitions
 * from its own package directory when loaded, which the single-file build does not carry.
 */
function loadEtcdClient(): typeof import('etcd3') {
  try {
    return createRequire(import.meta.url)('etcd3') as typeof import('etcd3');
  } catch (error) {
    throw new DatastoreConfigError(
      `--datastore needs the etcd client, which could not be loaded (${(error as Error).message}): the single-file kedge does not include it; run the agent from an npm install of kedge`,
    );
  }
}

/** The object store of an agent whose objects live in etcd; close() when the agent stops. */
export interface ExternalDatastore {
  readonly backend: EtcdBackend;
  close(): void;
}

export function openDatastore(config: DatastoreConfig): ExternalDatastore {
  const client = connectEtcd(config);
  return { backend: new EtcdBackend(client, { keyPrefix: config.keyPrefix }), close: () => client.close() };
}
