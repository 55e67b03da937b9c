/**
 * The real kubectl against kedge's API server over HTTPS with the cluster CA and a bearer token,
 * on a single-node backend. Runs the newest (1.33) and oldest (1.27) kubectl on this machine.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterCa, issueServerCertificate, loadCa } from '../../../agent/src/pki/index.ts';
import { type Harness, startHarness } from './harness.ts';

const run = promisify(execFile);
const binDir = '/usr/lib/google-cloud-sdk/bin';
const versions = ['1.33', '1.27'].filter((v) => existsSync(join(binDir, `kubectl.${v}`)));

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels: {app: web}
data:
  greeting: hello
`;

describe.skipIf(versions.length === 0)('real kubectl', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    const caBundle = await createClusterCa();
    const server = await issueServerCertificate(await loadCa(caBundle), {
      commonName: 'kedge-apiserver',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    h = await startHarness({ tls: { cert: server.certPem, key: server.keyPem, ca: caBundle.certPem } });
    dir = await mkdtemp(join(tmpdir(), 'kedge-kubectl-'));
    const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: kedge
  cluster:
    server: https://127.0.0.1:${h.port}
    certificate-authority-data: ${Buffer.from(caBundle.certPem).toString('base64')}
users:
- name: admin
  user: {token: ${h.adminToken}}
contexts:
- name: kedge
  context: {cluster: kedge, user: admin, namespace: default}
current-context: kedge
`;
    await writeFile(join(dir, 'config'), kubeconfig, { mode: 0o600 });
    await writeFile(join(dir, 'app.yaml'), manifest);
  });

  afterAll(async () => {
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const version of versions) {
    describe(`kubectl ${version}`, () => {
      const kubectlPath = join(binDir, `kubectl.${version}`);
      const args = (extra: string[]) => [
        `--kubeconfig=${join(dir, 'config')}`,
        `--cache-dir=${join(dir, `cache-${version}`)}`,
        ...extra,
      ];
      const kubectl = async (
        ...extra: string[]
      ): Promise<{ stdout: string; stderr: string; code: number }> => {
        try {
          const { stdout, stderr } = await run(kubectlPath, args(extra), {
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
      };
      const ns = `v${version.replace('.', '-')}`;

      beforeAll(async () => {
        await writeFile(
          join(dir, `ns-${version}.yaml`),
          `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
        );
        const created = await kubectl('apply', '-f', join(dir, `ns-${version}.yaml`));
        expect(created.stderr).toBe('');
      });

      it('applies a multi-document manifest, and re-applies it as unchanged and as a patch', async () => {
        const first = await kubectl('apply', '-n', ns, '-f', join(dir, 'app.yaml'));
        expect(first.stderr).toBe('');
        expect(first.stdout).toContain('deployment.apps/web created');
        expect(first.stdout).toContain('service/web created');
        expect(first.stdout).toContain('configmap/web-config created');
        const again = await kubectl('apply', '-n', ns, '-f', join(dir, 'app.yaml'));
        expect(again.stdout).toContain('deployment.apps/web unchanged');
        await writeFile(join(dir, `changed-${version}.yaml`), manifest.replace('nginx:1.25', 'nginx:1.27'));
        const changed = await kubectl('apply', '-n', ns, '-f', join(dir, `changed-${version}.yaml`));
        expect(changed.stderr).toBe('');
        expect(changed.stdout).toContain('deployment.apps/web configured');
        const image = await kubectl(
          'get',
          '-n',
          ns,
          'deploy',
          'web',
          '-o',
          'jsonpath={.spec.template.spec.containers[0].image}',
        );
        expect(image.stdout).toBe('nginx:1.27');
      });

      it('re-applies with a container, a port and a label removed (strategic merge directives)', async () => {
        const two = manifest
          .replace(
            '        ports:\n        - containerPort: 80\n',
            '        env:\n        - {name: MODE, value: fast}\n      - name: side\n        image: busybox\n',
          )
          .replace(
            '  labels: {app: web}\nspec:\n  replicas: 2',
            '  labels: {app: web, extra: x}\nspec:\n  replicas: 2',
          );
        await writeFile(join(dir, `two-${version}.yaml`), two);
        expect((await kubectl('apply', '-n', ns, '-f', join(dir, `two-${version}.yaml`))).stderr).toBe('');
        const before = JSON.parse((await kubectl('get', '-n', ns, 'deploy', 'web', '-o', 'json')).stdout);
        expect(before.metadata.labels).toEqual({ app: 'web', extra: 'x' });
        expect(before.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual([
          'nginx',
          'side',
        ]);
        expect(before.spec.template.spec.containers[0].ports).toBeUndefined();
        // Back to the first manifest: kubectl sends $patch: delete for `side` and `env`, null for the label.
        expect((await kubectl('apply', '-n', ns, '-f', join(dir, 'app.yaml'))).stdout).toContain(
          'deployment.apps/web configured',
        );
        const after = JSON.parse((await kubectl('get', '-n', ns, 'deploy', 'web', '-o', 'json')).stdout);
        expect(after.metadata.labels).toEqual({ app: 'web' });
        expect(after.spec.template.spec.containers).toHaveLength(1);
        expect(after.spec.template.spec.containers[0]).toMatchObject({
          name: 'nginx',
          image: 'nginx:1.25',
          ports: [{ containerPort: 80 }],
        });
        expect(after.spec.template.spec.containers[0].env).toBeUndefined();
      });

      it('gets tables, YAML, JSON, by label and across namespaces', async () => {
        const table = await kubectl('get', '-n', ns, 'deployments');
        expect(table.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
        expect(table.stdout).toMatch(/\nweb\s+0\/2\s+0\s+0\s+\d+s\n/);
        const yaml = await kubectl('get', '-n', ns, 'svc', 'web', '-o', 'yaml');
        expect(yaml.stdout).toContain('kind: Service');
        expect(yaml.stdout).toContain('targetPort: 80');
        const json = JSON.parse((await kubectl('get', '-n', ns, 'configmaps', '-o', 'json')).stdout);
        expect(json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
          'web-config',
        ]);
        const labelled = await kubectl('get', '-n', ns, 'cm,deploy', '-l', 'app=web', '-o', 'name');
        expect(labelled.stdout.split('\n').filter(Boolean).sort()).toEqual([
          'configmap/web-config',
          'deployment.apps/web',
        ]);
        const namespaces = await kubectl('get', 'namespaces');
        expect(namespaces.stdout).toMatch(/^NAME\s+STATUS\s+AGE\n/);
        expect(namespaces.stdout).toMatch(new RegExp(`\\n${ns}\\s+Active\\s+`));
        const all = await kubectl('get', 'deploy', '-A');
        expect(all.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY/);
        expect(all.stdout).toContain(ns);
      });

      it('get -w sees a change', async () => {
        const child = spawn(
          kubectlPath,
          args(['get', '-n', ns, 'configmaps', '-w', '--request-timeout=20s']),
          {
            env: { HOME: dir, PATH: process.env.PATH ?? '' },
          },
        );
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
        });
        try {
          for (let i = 0; i < 200 && !out.includes('web-config'); i++)
            await new Promise((r) => setTimeout(r, 25));
          expect(out).toContain('web-config');
          const created = await kubectl('create', 'configmap', 'watched', '-n', ns, '--from-literal=a=1');
          expect(created.stderr).toBe('');
          for (let i = 0; i < 200 && !out.includes('watched'); i++)
            await new Promise((r) => setTimeout(r, 25));
          expect(out).toMatch(/\nwatched\s+1\s+\d+s/);
        } finally {
          child.kill();
        }
      });

      it('scales, with and without --current-replicas', async () => {
        expect((await kubectl('scale', '-n', ns, 'deploy/web', '--replicas=5')).stdout).toContain(
          'deployment.apps/web scaled',
        );
        expect(
          (await kubectl('get', '-n', ns, 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}')).stdout,
        ).toBe('5');
        expect(
          (await kubectl('scale', '-n', ns, 'deploy/web', '--current-replicas=5', '--replicas=3')).stdout,
        ).toContain('scaled');
        const wrong = await kubectl('scale', '-n', ns, 'deploy/web', '--current-replicas=9', '--replicas=1');
        expect(wrong.code).not.toBe(0);
        expect(
          (await kubectl('get', '-n', ns, 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}')).stdout,
        ).toBe('3');
      });

      it('creates and reads a secret', async () => {
        const created = await kubectl(
          'create',
          'secret',
          'generic',
          'db',
          '-n',
          ns,
          '--from-literal=password=hunter2',
        );
        expect(created.stdout).toContain('secret/db created');
        const got = await kubectl('get', 'secret', 'db', '-n', ns, '-o', 'jsonpath={.data.password}');
        expect(Buffer.from(got.stdout, 'base64').toString()).toBe('hunter2');
        const table = await kubectl('get', 'secrets', '-n', ns);
        expect(table.stdout).toMatch(/\ndb\s+Opaque\s+1\s+/);
      });

      it('creates typed objects (protobuf bodies in 1.33) and lists them with get all', async () => {
        const deploy = await kubectl(
          'create',
          'deployment',
          'typed',
          '-n',
          ns,
          '--image=nginx',
          '--replicas=0',
        );
        expect(deploy.stderr).toBe('');
        expect(
          (await kubectl('get', '-n', ns, 'deploy', 'typed', '-o', 'jsonpath={.spec.replicas}')).stdout,
        ).toBe('0');
        expect(
          (await kubectl('create', 'job', 'once', '-n', ns, '--image=busybox', '--', 'echo', 'hi')).stderr,
        ).toBe('');
        expect((await kubectl('create', 'serviceaccount', 'robot', '-n', ns)).stderr).toBe('');
        const all = await kubectl('get', 'all', '-n', ns);
        expect(all.stdout).toContain('deployment.apps/typed');
        expect(all.stdout).toContain('job.batch/once');
        expect(all.stdout).toContain('service/web');
      });

      it('labels with a merge patch', async () => {
        expect((await kubectl('label', '-n', ns, 'cm', 'web-config', 'tier=fe')).stdout).toContain('labeled');
        expect((await kubectl('get', '-n', ns, 'cm', '-l', 'tier=fe', '-o', 'name')).stdout.trim()).toBe(
          'configmap/web-config',
        );
      });

      it('deletes and then reports NotFound', async () => {
        const deleted = await kubectl('delete', '-n', ns, 'deploy', 'web');
        expect(deleted.stdout).toContain('deployment.apps "web" deleted');
        const nope = await kubectl('get', '-n', ns, 'pod', 'nope');
        expect(nope.code).toBe(1);
        expect(nope.stderr).toContain('Error from server (NotFound): pods "nope" not found');
        const gone = await kubectl('get', '-n', ns, 'deploy', 'web');
        expect(gone.stderr).toContain('Error from server (NotFound): deployments.apps "web" not found');
      });

      it('deletes everything a multi-document manifest names', async () => {
        await kubectl('apply', '-n', ns, '-f', join(dir, 'app.yaml'));
        const deleted = await kubectl('delete', '-n', ns, '-f', join(dir, 'app.yaml'));
        expect(deleted.stderr).toBe('');
        expect(deleted.stdout).toContain('service "web" deleted');
        expect(deleted.stdout).toContain('configmap "web-config" deleted');
        expect((await kubectl('get', '-n', ns, 'svc,cm', '-l', 'app=web', '-o', 'name')).stdout).toBe('');
      });

      it('says Unauthorized for a wrong token', async () => {
        const bad = await kubectl('get', 'pods', '--token=wrong');
        expect(bad.code).toBe(1);
        expect(bad.stderr).toContain('Unauthorized');
      });
    });
  }
});
