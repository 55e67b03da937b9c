/**
 * A kubeconfig that both kedge and the real kubectl read: one cluster (HTTPS, the CA inline),
 * one user (the bearer token), one context, current.
 */
import { writeFile } from 'node:fs/promises';

export interface KubeconfigOptions {
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  readonly clusterName?: string;
  readonly userName?: string;
}

export function renderKubeconfig(o: KubeconfigOptions): string {
  const cluster = o.clusterName ?? 'kedge';
  const user = o.userName ?? 'kedge-admin';
  return `apiVersion: v1
kind: Config
clusters:
- name: ${cluster}
  cluster:
    server: ${o.server}
    certificate-authority-data: ${Buffer.from(o.caPem).toString('base64')}
users:
- name: ${user}
  user:
    token: ${o.token}
contexts:
- name: ${cluster}
  context:
    cluster: ${cluster}
    user: ${user}
    namespace: default
current-context: ${cluster}
`;
}

/** Writes it readable by the owner only: it holds the admin token. */
export async function writeKubeconfig(file: string, options: KubeconfigOptions): Promise<void> {
  await writeFile(file, renderKubeconfig(options), { mode: 0o600 });
}
