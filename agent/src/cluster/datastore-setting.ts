/**
 * Where an agent keeps its objects, remembered in its data directory (datastore.json), so that a
 * restart with only `--data-dir` (systemd, autopilot's self-restart) comes back on the same
 * external etcd rather than silently on an empty embedded store.
 *
 *   --datastore given ──> parse ──> write datastore.json (a change of address is said on stderr)
 *   no --datastore    ──> datastore.json? ──> parse what it holds | the embedded store
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type DatastoreConfig, type DatastoreTlsFiles, parseDatastore } from '../store-etcd/datastore.ts';
import { writeJsonFile } from './data-dir.ts';

/** What the user typed (TLS file paths made absolute), as datastore.json holds it. */
export interface DatastoreSetting {
  readonly address: string;
  readonly tls: DatastoreTlsFiles;
}

export class DatastoreSettingError extends Error {
  readonly kind = 'Invalid';
}

export const datastoreFile = (dir: string) => path.join(dir, 'datastore.json');

/**
 * The datastore this agent uses: the flag's (and remembered from now on), else the remembered one,
 * else undefined (the embedded store). `note` hears about a changed address.
 */
export async function resolveDatastore(
  dir: string,
  given: DatastoreSetting | undefined,
  note: (line: string) => void,
): Promise<DatastoreConfig | undefined> {
  const file = datastoreFile(dir);
  const remembered = existsSync(file) ? await readSetting(file) : undefined;
  const setting = given === undefined ? remembered : absolute(given);
  if (setting === undefined) return undefined;
  const config = parseDatastore(setting.address, setting.tls);
  if (config instanceof Error)
    throw new DatastoreSettingError(given ? config.message : `${file}: ${config.message}`);
  if (given !== undefined) {
    if (remembered !== undefined && remembered.address !== given.address)
      note(`datastore changed from ${remembered.address} to ${given.address} (remembered in ${file})`);
    await writeJsonFile(file, setting);
  }
  return config;
}

function absolute(setting: DatastoreSetting): DatastoreSetting {
  const tls = Object.fromEntries(
    Object.entries(setting.tls).map(([k, v]) => [k, typeof v === 'string' ? path.resolve(v) : v]),
  ) as DatastoreTlsFiles;
  return { address: setting.address, tls };
}

async function readSetting(file: string): Promise<DatastoreSetting> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new DatastoreSettingError(
      `${file} is not readable JSON (${(error as Error).message}): fix it, or start once with --datastore to rewrite it`,
    );
  }
  const s = parsed as Partial<DatastoreSetting> | null;
  if (typeof s?.address !== 'string')
    throw new DatastoreSettingError(`${file} holds no "address": start once with --datastore to rewrite it`);
  return { address: s.address, tls: typeof s.tls === 'object' && s.tls !== null ? s.tls : {} };
}
