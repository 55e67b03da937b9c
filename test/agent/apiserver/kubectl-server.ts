/**
 * The real kubectl against an in-process API server over HTTPS: a cluster CA, a server
 * certificate for 127.0.0.1, a kubeconfig with the admin token, and `kubectl(version, ...args)`
 * that returns its output and exit code instead of throwing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClusterCa, issueServerCertificate, loadCa } from '../../../agent/src/pki/index.ts';
import { type Harness, startHarness } from './harness.ts';

const run = promisify(execFile);
const binDir = '/usr/lib/google-cloud-sdk/bin';

/** The kubectl versions installed here, newest first. */
export const kubectlVersions = ['1.33', '1.27'].filter((v) => existsSync(join(binDir, `kubectl.${v}`)));

export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface KubectlServer {
  readonly harness: Harness;
  readonly dir: string;
  kubectl(version: string, ...args: string[]): Promise<KubectlResult>;
  close(): Promise<void>;
}

export async function startKubectlServer(label: string): Promise<KubectlServer> {
  const caBundle = await createClusterCa();
  const server = await issueServerCertificate(await loadCa(caBundle), {
    commonName: 'kedge-apiserver',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const harness = await startHarness({
    tls: { cert: server.certPem, key: server.keyPem, ca: caBundle.certPem },
  });
  const dir = await mkdtemp(join(tmpdir(), `kedge-${label}-`));
  await writeFile(
    join(dir, 'config'),
    `apiVersion: v1
kind: Config
clusters:
- name: kedge
  cluster:
    server: https://127.0.0.1:${harness.port}
    certificate-authority-data: ${Buffer.from(caBundle.certPem).toString('base64')}
users:
- name: admin
  user: {token: ${harness.adminToken}}
contexts:
- name: kedge
  context: {cluster: kedge, user: admin, namespace: default}
current-context: kedge
`,
    { mode: 0o600 },
  );
  return {
    harness,
    dir,
    async kubectl(version, ...extra) {
      const args = [
        `--kubeconfig=${join(dir, 'config')}`,
        `--cache-dir=${join(dir, `cache-${version}`)}`,
        ...extra,
      ];
      try {
        const { stdout, stderr } = await run(join(binDir, `kubectl.${version}`), args, {
          timeout: 30_000,
          env: { HOME: dir, PATH: process.env.PATH ?? '' },
        });
        return { stdout, stderr, code: 0 };
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; code?: number };
        return {
          stdout: e.stdout ?? '',
          stderr: e.stderr ?? '',
          code: typeof e.code === 'number' ? e.code : -1,
        };
      }
    },
    async close() {
      await harness.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
