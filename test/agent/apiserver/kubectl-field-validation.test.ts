/**
 * The real kubectl and server-side field validation: `kubectl apply` (which sends
 * fieldValidation=Strict since 1.27) fails on a typo and names the field, whether the object is
 * new (a create) or exists (a strategic merge patch); `--validate=warn` applies it and prints the
 * server's warning; `--validate=false` applies it silently.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubectlServer, startKubectlServer, kubectlVersions as versions } from './kubectl-server.ts';

const manifest = (name: string, extra: { spec?: string; container?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1${extra.spec ?? ''}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: nginx:1.25${extra.container ?? ''}
`;

describe.skipIf(versions.length === 0)('kubectl and server-side field validation', () => {
  let server: KubectlServer;
  let dir: string;

  beforeAll(async () => {
    server = await startKubectlServer('kubectl-validation');
    dir = server.dir;
  });

  afterAll(() => server?.close());

  for (const version of versions) {
    describe(`kubectl ${version}`, () => {
      const kubectl = (...extra: string[]) => server.kubectl(version, ...extra);
      const file = async (name: string, text: string): Promise<string> => {
        const path = join(dir, `${version}-${name}.yaml`);
        await writeFile(path, text);
        return path;
      };
      const tag = version.replace('.', '-');

      it('apply of a new object with a typo fails, naming the field, and creates nothing', async () => {
        const name = `typo-${tag}`;
        const r = await kubectl('apply', '-f', await file(name, manifest(name, { spec: '\n  replica: 3' })));
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain(
          'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"',
        );
        const get = await kubectl('get', 'deployment', name);
        expect(get.stderr).toContain('not found');
      });

      it('apply --validate=warn creates it and prints the server warning', async () => {
        const name = `warn-${tag}`;
        const path = await file(name, manifest(name, { spec: '\n  replica: 3' }));
        const r = await kubectl('apply', '--validate=warn', '-f', path);
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`deployment.apps/${name} created`);
        expect(r.stderr).toContain('Warning: unknown field "spec.replica"');
        const stored = JSON.parse((await kubectl('get', 'deployment', name, '-o', 'json')).stdout);
        expect(stored.spec.replica).toBeUndefined();
      });

      it('re-apply of an existing object with a typo (a patch) fails, naming the field', async () => {
        const name = `patch-${tag}`;
        const first = await kubectl('apply', '-f', await file(name, manifest(name)));
        expect(first.code).toBe(0);
        const typo = manifest(name, { container: '\n        imagePullPolcy: Always' });
        const r = await kubectl('apply', '-f', await file(`${name}-typo`, typo));
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain(
          'strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolcy"',
        );
      });

      it('apply --validate=false applies a typo silently', async () => {
        const name = `ignore-${tag}`;
        const r = await kubectl(
          'apply',
          '--validate=false',
          '-f',
          await file(name, manifest(name, { spec: '\n  replica: 3' })),
        );
        expect(r.code).toBe(0);
        expect(r.stderr).toBe('');
      });
    });
  }
});
