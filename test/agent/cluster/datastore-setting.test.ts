import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datastoreFile, resolveDatastore } from '../../../agent/src/cluster/datastore-setting.ts';

let dir: string;
let notes: string[];
const note = (line: string) => notes.push(line);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kedge-datastore-'));
  notes = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the datastore an agent remembers in its data directory', () => {
  it('is the embedded store when never given', async () => {
    expect(await resolveDatastore(dir, undefined, note)).toBeUndefined();
  });

  it('is remembered from --datastore, TLS paths made absolute, and used by a restart without the flag', async () => {
    const given = { address: 'etcds://10.0.0.5:2379/edge', tls: { ca: 'ca.pem' } };
    const first = await resolveDatastore(dir, given, note);
    expect(first?.endpoints).toEqual(['https://10.0.0.5:2379']);
    const stored = JSON.parse(readFileSync(datastoreFile(dir), 'utf8'));
    expect(stored).toEqual({ address: given.address, tls: { ca: path.resolve('ca.pem') } });
    const restarted = await resolveDatastore(dir, undefined, note);
    expect(restarted).toEqual(first);
    expect(notes).toEqual([]);
  });

  it('says so when the address changes', async () => {
    await resolveDatastore(dir, { address: 'etcd://127.0.0.1:2379', tls: {} }, note);
    await resolveDatastore(dir, { address: 'etcd://127.0.0.1:2479', tls: {} }, note);
    expect(notes).toEqual([
      `datastore changed from etcd://127.0.0.1:2379 to etcd://127.0.0.1:2479 (remembered in ${datastoreFile(dir)})`,
    ]);
    expect((await resolveDatastore(dir, undefined, note))?.endpoints).toEqual(['http://127.0.0.1:2479']);
  });

  it('refuses a broken file or value with a message that names it and what to do', async () => {
    writeFileSync(datastoreFile(dir), '{ not json');
    await expect(resolveDatastore(dir, undefined, note)).rejects.toThrow(
      /datastore\.json is not readable JSON .*start once with --datastore/,
    );
    writeFileSync(datastoreFile(dir), JSON.stringify({ address: 'http://x' }));
    await expect(resolveDatastore(dir, undefined, note)).rejects.toThrow(
      /datastore\.json: --datastore "http:\/\/x"/,
    );
    await expect(resolveDatastore(dir, { address: 'nope', tls: {} }, note)).rejects.toThrow(
      /is not an etcd address/,
    );
  });
});
