import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readPemBundle } from '../pki/files.ts';
import { dataPaths } from './data-dir.ts';

/** The cluster CA and this agent's node certificate, from its data directory. */
export async function loadCredentials(dataDir: string) {
  const pkiDir = dataPaths(dataDir).pki;
  const node = await readPemBundle(pkiDir, 'node');
  const caPem = await readFile(path.join(pkiDir, 'ca.crt'), 'utf8');
  return { caPem, nodeCert: { cert: node.certPem, key: node.keyPem } };
}
