/**
 * A real kedge API server (LocalBackend over an in-process store, HTTPS with a fresh cluster CA,
 * a bearer token) and a kubeconfig pointing at it, for running the real `kedge` bin against.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RESOURCES } from '../../agent/src/api/registry.ts';
import { apiAdmission } from '../../agent/src/apiserver/api-admission.ts';
import { LocalBackend } from '../../agent/src/apiserver/local-backend.ts';
import { type ApiServer, createApiServer } from '../../agent/src/apiserver/server.ts';
import { RoleAuthorizer } from '../../agent/src/auth/authorizer.ts';
import { TokenAuthenticator } from '../../agent/src/auth/tokens.ts';
import { createClusterCa, issueServerCertificate, loadCa } from '../../agent/src/pki/index.ts';
import { ObjectStore } from '../../agent/src/store/object-store.ts';

export const KEDGE = resolve(import.meta.dirname, '../../node_modules/.bin/kedge');

export interface Cluster {
  readonly backend: LocalBackend;
  readonly api: ApiServer;
  readonly dir: string;
  readonly kubeconfig: string;
  readonly server: string;
  /** Runs the kedge bin with this cluster's kubeconfig; never rejects. */
  kedge(args: string[], o?: { input?: string; env?: Record<string, string> }): Promise<RunResult>;
  close(): Promise<void>;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function startCluster(): Promise<Cluster> {
  const store = new ObjectStore();
  const backend = new LocalBackend(store);
  for (const name of ['default', 'kube-system'])
    await backend.create({
      op: 'create',
      group: '',
      resource: 'namespaces',
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      uid: `ns-${name}`,
      creationTimestamp: new Date().toISOString(),
    });
  const caBundle = await createClusterCa();
  const ca = await loadCa(caBundle);
  const cert = await issueServerCertificate(ca, {
    commonName: 'kedge-api',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const authenticator = new TokenAuthenticator();
  const token = authenticator.issue({ name: 'admin', groups: ['system:authenticated'] }).token;
  const api = createApiServer({
    backend,
    resources: RESOURCES,
    authenticator,
    authorizer: new RoleAuthorizer([{ role: 'cluster-admin', user: 'admin' }]),
    admission: apiAdmission,
    version: { major: '1', minor: '33', gitVersion: 'v1.33.0-kedge' },
    tls: { cert: cert.certPem, key: cert.keyPem },
  });
  const { port } = await api.listen(0, '127.0.0.1');
  const server = `https://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'kedge-cli-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${server}
    certificate-authority-data: ${Buffer.from(caBundle.certPem).toString('base64')}
users:
- name: admin
  user:
    token: ${token}
contexts:
- name: local
  context: {cluster: local, user: admin, namespace: default}
- name: other
  context: {cluster: local, user: admin, namespace: kube-system}
current-context: local
`,
  );
  const kedge = (
    args: string[],
    o: { input?: string; env?: Record<string, string> } = {},
  ): Promise<RunResult> =>
    new Promise((done) => {
      const child = execFile(
        KEDGE,
        args,
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig, ...o.env },
          timeout: 30_000,
        },
        (err, stdout, stderr) => {
          const code = err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
            : 0;
          done({ code, stdout, stderr });
        },
      );
      child.stdin?.end(o.input ?? '');
    });
  return {
    backend,
    api,
    dir,
    kubeconfig,
    server,
    kedge,
    close: async () => {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
