// etcds://: the backend contract against an etcd that serves TLS and demands client certificates
// (--cert-file/--key-file/--trusted-ca-file/--client-cert-auth), with a CA and certificates made
// by kedge's own PKI; a wrong CA or a missing client certificate fails with a message that says which.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClusterCa,
  issueClientCertificate,
  issueServerCertificate,
  loadCa,
} from '../../../agent/src/pki/index.ts';
import {
  connectEtcd,
  type DatastoreTlsFiles,
  parseDatastore,
} from '../../../agent/src/store-etcd/datastore.ts';
import { EtcdBackend } from '../../../agent/src/store-etcd/etcd-backend.ts';
import { describeBackendContract, PODS } from './backend-contract.ts';
import { type EtcdProcess, etcdAvailable, startEtcd } from './etcd-process.ts';

const available = etcdAvailable();
let dir = '';
let etcd: EtcdProcess | undefined;
let client: Etcd3 | undefined;
let files: Required<DatastoreTlsFiles> & { otherCa: string };
let prefixes = 0;

beforeAll(async () => {
  if (!available) return;
  dir = await mkdtemp(path.join(tmpdir(), 'kedge-etcd-tls-'));
  const caPem = await createClusterCa({ commonName: 'etcd-test-ca' });
  const ca = await loadCa(caPem);
  const server = await issueServerCertificate(ca, {
    commonName: 'etcd',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const agent = await issueClientCertificate(ca, { commonName: 'kedge-agent' });
  const other = await createClusterCa({ commonName: 'some-other-ca' });
  const write = async (name: string, pem: string) => {
    const file = path.join(dir, name);
    await writeFile(file, pem, { mode: 0o600 });
    return file;
  };
  files = {
    ca: await write('ca.crt', caPem.certPem),
    cert: await write('agent.crt', agent.certPem),
    key: await write('agent.key', agent.keyPem),
    otherCa: await write('other-ca.crt', other.certPem),
  };
  etcd = await startEtcd(15_000, {
    cert: await write('server.crt', server.certPem),
    key: await write('server.key', server.keyPem),
    clientCa: files.ca,
  });
  client = connect(files);
}, 30_000);

afterAll(async () => {
  client?.close();
  await etcd?.stop();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

function connect(tls: DatastoreTlsFiles): Etcd3 {
  const config = parseDatastore(`etcds://${etcd!.hostPort}`, tls);
  if (config instanceof Error) throw config;
  return connectEtcd(config);
}

describe.skipIf(!available)('etcd backend over TLS (etcds://)', () => {
  describeBackendContract('etcds', async () => {
    const c = client!;
    prefixes++;
    return {
      backend: new EtcdBackend(c, { keyPrefix: `/tls${prefixes}` }),
      forgetHistory: async () => {
        const head = await c.kv.range({ key: Buffer.from('/') });
        await c.kv.compact({ revision: head.header.revision });
      },
      close: async () => {},
    };
  });

  it("says that etcd's certificate is not signed by --datastore-ca when the CA is wrong", async () => {
    const wrong = connect({ ...files, ca: files.otherCa });
    try {
      await expect(
        new EtcdBackend(wrong).get({ ...PODS, namespace: 'default', name: 'a' }),
      ).rejects.toMatchObject({
        status: {
          code: 503,
          message: expect.stringMatching(/certificate.*--datastore-ca/),
        },
      });
    } finally {
      wrong.close();
    }
  }, 20_000);

  it('says that etcd wants a client certificate when --datastore-cert/-key are missing', async () => {
    const anonymous = connect({ ca: files.ca });
    try {
      await expect(
        new EtcdBackend(anonymous).get({ ...PODS, namespace: 'default', name: 'a' }),
      ).rejects.toMatchObject({
        status: { code: 503, message: expect.stringContaining('--datastore-cert') },
      });
    } finally {
      anonymous.close();
    }
  }, 20_000);
});
