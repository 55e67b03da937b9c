/**
 * The real kubectl against kedge's OpenAPI v3: `kubectl explain` renders the served field
 * schemas (types, required fields, descriptions, $ref'd nested types), and `kubectl apply` finds
 * server-side field validation in the documents, so it prints no client-side OpenAPI notice.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubectlServer, startKubectlServer, kubectlVersions as versions } from './kubectl-server.ts';

/** What kubectl prints when it cannot use the server's OpenAPI (any of its variants). */
const openApiNotice =
  /failed to download openapi|cannot perform warn validation|field validation is unsupported|error calculating patch from openapi/i;

const deployment = (name: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1${extra}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
`;

describe.skipIf(versions.length === 0)('kubectl and the served OpenAPI v3', () => {
  let server: KubectlServer;
  let dir: string;

  beforeAll(async () => {
    server = await startKubectlServer('kubectl-openapi');
    dir = server.dir;
  });

  afterAll(() => server?.close());

  for (const version of versions) {
    describe(`kubectl ${version}`, () => {
      const kubectl = (...extra: string[]) => server.kubectl(version, ...extra);
      const tag = version.replace('.', '-');

      it('explain pods describes the kind and its top-level fields', async () => {
        const r = await kubectl('explain', 'pods');
        expect(r.stderr).toBe('');
        expect(r.stdout).toMatch(/KIND:\s+Pod/);
        expect(r.stdout).toMatch(/VERSION:\s+v1/);
        expect(r.stdout).toContain('Pod is a collection of containers');
        expect(r.stdout).toMatch(/spec\s+<PodSpec>/);
        expect(r.stdout).toContain('Spec defines the desired behavior of a Pod.');
      });

      it('explain pods.spec.containers shows the Container type, required name and typed fields', async () => {
        const r = await kubectl('explain', 'pods.spec.containers');
        expect(r.stderr).toBe('');
        expect(r.stdout).toMatch(/FIELD:\s+containers <\[\]Container>/);
        expect(r.stdout).toContain('Containers belonging to the pod.');
        expect(r.stdout).toMatch(/name\s+<string> -required-/);
        expect(r.stdout).toMatch(/image\s+<string>\n/);
        expect(r.stdout).toContain('Container image name');
        expect(r.stdout).toMatch(/ports\s+<\[\]ContainerPort>/);
        expect(r.stdout).toMatch(/env\s+<\[\]EnvVar>/);
        expect(r.stdout).toMatch(/stdin\s+<boolean>/);
      });

      it('explain deployment.spec.strategy --recursive walks nested $refs', async () => {
        const r = await kubectl('explain', 'deployment.spec.strategy', '--recursive');
        expect(r.stderr).toBe('');
        expect(r.stdout).toMatch(/GROUP:\s+apps/);
        expect(r.stdout).toMatch(/FIELD:\s+strategy <DeploymentStrategy>/);
        expect(r.stdout).toMatch(/rollingUpdate\s+<RollingUpdateDeployment>/);
        expect(r.stdout).toMatch(/maxSurge\s+<IntOrString>/);
        expect(r.stdout).toMatch(/maxUnavailable\s+<IntOrString>/);
        expect(r.stdout).toMatch(/type\s+<string>/);
      });

      it('explain of a cluster-scoped kind in another group, and of a quantity map', async () => {
        const pc = await kubectl('explain', 'priorityclasses');
        expect(pc.stdout).toMatch(/GROUP:\s+scheduling\.k8s\.io/);
        expect(pc.stdout).toMatch(/value\s+<integer>/);
        const limits = await kubectl('explain', 'pods.spec.containers.resources.limits');
        expect(limits.stdout).toMatch(/limits\s+<map\[string\]Quantity>/);
      });

      it('apply with a typo is refused by the server with no client-side OpenAPI notice', async () => {
        const name = `oa-typo-${tag}`;
        const path = join(dir, `${name}.yaml`);
        await writeFile(path, deployment(name, '\n  replica: 3'));
        const r = await kubectl('apply', '-f', path);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain('strict decoding error: unknown field "spec.replica"');
        expect(r.stderr).not.toMatch(openApiNotice);
      });

      it('apply --validate=warn gets the server warning, not the "cannot perform warn validation" notice', async () => {
        const name = `oa-warn-${tag}`;
        const path = join(dir, `${name}.yaml`);
        await writeFile(path, deployment(name, '\n  replica: 3'));
        const r = await kubectl('apply', '--validate=warn', '-f', path);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain('Warning: unknown field "spec.replica"');
        expect(r.stderr).not.toMatch(openApiNotice);
      });

      it('re-apply of a changed object patches it with no OpenAPI patch warning', async () => {
        const name = `oa-patch-${tag}`;
        const path = join(dir, `${name}.yaml`);
        await writeFile(path, deployment(name));
        expect((await kubectl('apply', '-f', path)).code).toBe(0);
        await writeFile(path, deployment(name).replace('nginx:1.25', 'nginx:1.27'));
        const r = await kubectl('apply', '-f', path);
        expect(r.stderr).toBe('');
        expect(r.stdout).toContain(`deployment.apps/${name} configured`);
        const stored = JSON.parse((await kubectl('get', 'deployment', name, '-o', 'json')).stdout);
        expect(stored.spec.template.spec.containers).toEqual([
          expect.objectContaining({ name: 'web', image: 'nginx:1.27' }),
        ]);
      });
    });
  }
});
