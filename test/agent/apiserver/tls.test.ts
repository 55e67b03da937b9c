import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClusterCa,
  issueClientCertificate,
  issueServerCertificate,
  loadCa,
  type PemBundle,
} from '../../../agent/src/pki/index.ts';
import { type Harness, startHarness } from './harness.ts';

const asClient = (b: PemBundle) => ({ cert: b.certPem, key: b.keyPem });

let h: Harness;
let admin: PemBundle;
let nobody: PemBundle;
let stranger: PemBundle;

beforeAll(async () => {
  const caBundle = await createClusterCa();
  const ca = await loadCa(caBundle);
  const server = await issueServerCertificate(ca, {
    commonName: 'api',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  admin = await issueClientCertificate(ca, { commonName: 'kedge-admin', organizations: ['system:masters'] });
  nobody = await issueClientCertificate(ca, { commonName: 'node-7' });
  stranger = await issueClientCertificate(await loadCa(await createClusterCa()), {
    commonName: 'mallory',
    organizations: ['system:masters'],
  });
  h = await startHarness({
    tls: { cert: server.certPem, key: server.keyPem, ca: caBundle.certPem, clientCa: caBundle.certPem },
  });
});
afterAll(async () => {
  await h.close();
});

describe('HTTPS with tokens and client certificates', () => {
  it('accepts bearer tokens over TLS', async () => {
    expect((await h.call('GET', '/api/v1/namespaces/default/pods')).status).toBe(200);
  });
  it('authenticates a client certificate from the cluster CA as CN with O groups', async () => {
    const reply = await h.call('DELETE', '/api/v1/namespaces/default/configmaps/none', {
      token: null,
      clientCert: asClient(admin),
    });
    expect(reply.json).toMatchObject({ reason: 'NotFound', message: 'configmaps "none" not found' });
    const limited = await h.call('GET', '/api/v1/namespaces/default/pods', {
      token: null,
      clientCert: asClient(nobody),
    });
    expect(limited.status).toBe(403);
    expect(limited.json.message).toContain('User "node-7" cannot list resource "pods"');
  });
  it('refuses certificates from another CA and requests with no credential', async () => {
    expect(
      (
        await h.call('GET', '/api/v1/namespaces/default/pods', {
          token: null,
          clientCert: asClient(stranger),
        })
      ).status,
    ).toBe(401);
    expect((await h.call('GET', '/api/v1/namespaces/default/pods', { token: null })).status).toBe(401);
  });
});
