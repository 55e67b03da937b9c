/**
 * The real `kedge` bin against a real kedge API server (HTTPS, token, LocalBackend): what a user
 * types and what they see. Controllers are not running, so tests play the controller by writing
 * status through the backend.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../agent/src/api/index.ts';
import { type Cluster, KEDGE, startCluster } from './cluster-fixture.ts';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster();
}, 30_000);
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await c?.close();
});

const manifest = (image = 'localhost/kedge/busybox:latest', withEnv = true) => `# web app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
${withEnv ? '        env: [{name: MODE, value: "demo"}]\n' : ''}---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {colour: blue}
`;

// biome-ignore lint/suspicious/noExplicitAny: tests read stored objects by path
const get = (resource: string, name: string, namespace = 'default'): Promise<any> =>
  c.backend.get({ group: resource === 'deployments' ? 'apps' : '', resource, namespace, name } as never);

async function setDeploymentStatus(name: string, status: Record<string, unknown>): Promise<void> {
  // Plays the deployment controller: it has observed the current generation.
  const live = (await get('deployments', name)) as KubeObject & { status?: unknown };
  const observed = { observedGeneration: live.metadata.generation, ...status };
  await c.backend.update({
    op: 'updateStatus',
    group: 'apps',
    resource: 'deployments',
    object: { ...live, status: observed } as KubeObject,
  });
}

/** A kedge process whose output the test reads as it comes; killed when the test file ends. */
function watchKedge(args: string[]) {
  const child = spawn(KEDGE, args, {
    env: { PATH: process.env.PATH, HOME: c.dir, KUBECONFIG: c.kubeconfig },
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, output: () => out };
}

async function until(pred: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(pred()).toBe(true);
}

describe('kedge against a live API server', () => {
  it('applies a multi-document manifest: created, then unchanged, then configured with removals', async () => {
    const file = join(c.dir, 'app.yaml');
    writeFileSync(file, manifest());
    const first = await c.kedge(['apply', '-f', file]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(
      'deployment.apps/web created\nservice/web created\nconfigmap/settings created\n',
    );
    expect(first.code).toBe(0);

    const again = await c.kedge(['apply', '-f', '-'], { input: manifest() });
    expect(again.stdout).toBe(
      'deployment.apps/web unchanged\nservice/web unchanged\nconfigmap/settings unchanged\n',
    );

    const changed = await c.kedge(['apply', '-f', file.replace('app.yaml', '')]);
    expect(changed.stdout).toContain('deployment.apps/web unchanged');
    writeFileSync(file, manifest('localhost/kedge/busybox:v2', false));
    const patched = await c.kedge(['apply', '-f', file]);
    expect(patched.stdout).toContain('deployment.apps/web configured');
    const live = (await get('deployments', 'web')) as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    const container = live.spec.template.spec.containers[0];
    expect(container?.image).toBe('localhost/kedge/busybox:v2');
    expect(container?.env).toBeUndefined(); // dropped from the file -> deleted
    expect(container?.terminationMessagePath).toBe('/dev/termination-log'); // server default kept
  }, 60_000);

  it('prints get in every output format', async () => {
    const table = await c.kedge(['get', 'deploy,svc']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^NAME {18}READY {3}UP-TO-DATE {3}AVAILABLE {3}AGE\ndeployment\.apps\/web {3}0\/2 /,
    );
    expect(table.stdout).toMatch(
      /\n\nNAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE\nservice\/web +ClusterIP/,
    );

    const wide = await c.kedge(['get', 'deployments', '-o', 'wide', '--show-labels', '-A']);
    expect(wide.stdout.split('\n')[0]).toMatch(
      /^NAMESPACE +NAME +READY +UP-TO-DATE +AVAILABLE +AGE +CONTAINERS +IMAGES +SELECTOR +LABELS$/,
    );
    expect(wide.stdout).toMatch(/default +web +0\/2 .* web +localhost\/kedge\/busybox:v2 +app=web +app=web/);

    const yaml = parseYaml((await c.kedge(['get', 'deploy', 'web', '-o', 'yaml'])).stdout) as KubeObject;
    expect(yaml).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } });

    const json = JSON.parse((await c.kedge(['get', 'cm', '-o', 'json'])).stdout) as {
      kind: string;
      items: KubeObject[];
    };
    expect(json.kind).toBe('List');
    expect(json.items.map((i) => [i.kind, i.metadata.name])).toEqual([['ConfigMap', 'settings']]);

    expect((await c.kedge(['get', 'all', '-o', 'name'])).stdout).toBe('service/web\ndeployment.apps/web\n');
    const jp = await c.kedge([
      'get',
      'deploy',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas}{"\\n"}{end}',
    ]);
    expect(jp.stdout).toBe('web=2\n');

    const none = await c.kedge(['get', 'pods', '-l', 'app=nothing']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
  }, 60_000);

  it('get -w prints a new row when the object changes, and ends cleanly on Ctrl-C', async () => {
    const { output, exited, child } = watchKedge(['get', 'deploy', 'web', '-w']);
    await until(() => output().includes('web'));
    await setDeploymentStatus('web', {
      replicas: 2,
      readyReplicas: 1,
      updatedReplicas: 2,
      availableReplicas: 1,
    });
    await until(() => /web +1\/2/.test(output()));
    expect(output().split('\n')[0]).toMatch(/^NAME +READY/);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 60_000);

  it('scales through the scale subresource', async () => {
    const r = await c.kedge(['scale', 'deploy/web', '--replicas=5']);
    expect(r).toMatchObject({ code: 0, stdout: 'deployment.apps/web scaled\n' });
    expect(((await get('deployments', 'web')) as { spec: { replicas: number } }).spec.replicas).toBe(5);
    const wrong = await c.kedge(['scale', 'deploy', 'web', '--replicas=1', '--current-replicas=4']);
    expect(wrong).toMatchObject({ code: 1, stderr: 'error: Expected replicas to be 4, was 5\n' });
  }, 30_000);

  it('rollout status follows the deployment until it is rolled out', async () => {
    await setDeploymentStatus('web', {
      replicas: 5,
      updatedReplicas: 5,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    const { output, exited } = watchKedge(['rollout', 'status', 'deploy/web', '--timeout=30s']);
    await until(() => output().includes('1 of 5 updated'));
    await setDeploymentStatus('web', {
      replicas: 5,
      updatedReplicas: 5,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    await until(() => output().includes('3 of 5 updated'));
    await setDeploymentStatus('web', {
      replicas: 5,
      updatedReplicas: 5,
      readyReplicas: 5,
      availableReplicas: 5,
    });
    expect(await exited).toBe(0);
    expect(output().trim().split('\n')).toEqual([
      'Waiting for deployment "web" rollout to finish: 1 of 5 updated replicas are available...',
      'Waiting for deployment "web" rollout to finish: 3 of 5 updated replicas are available...',
      'deployment "web" successfully rolled out',
    ]);
  }, 60_000);

  it('describe shows the object and its events', async () => {
    const dep = (await get('deployments', 'web')) as KubeObject;
    await c.backend.create({
      op: 'create',
      group: '',
      resource: 'events',
      object: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'web.1', namespace: 'default' },
        involvedObject: {
          kind: 'Deployment',
          name: 'web',
          namespace: 'default',
          uid: dep.metadata.uid,
          apiVersion: 'apps/v1',
        },
        reason: 'ScalingReplicaSet',
        message: 'Scaled up replica set web-5d8f to 5',
        type: 'Normal',
        source: { component: 'deployment-controller' },
        lastTimestamp: new Date().toISOString(),
      } as KubeObject,
      uid: 'ev-1',
      creationTimestamp: new Date().toISOString(),
    });
    const r = await c.kedge(['describe', 'deployment', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name: +web\nNamespace: +default\n/);
    expect(r.stdout).toContain(
      'Replicas:               5 desired | 5 updated | 5 total | 5 available | 0 unavailable',
    );
    expect(r.stdout).toMatch(
      /Events:\n {2}Type +Reason +Age +From +Message\n {2}----.*\n {2}Normal +ScalingReplicaSet +\d+s +deployment-controller +Scaled up replica set web-5d8f to 5\n$/,
    );
  }, 30_000);

  it('creates namespaces and secrets, deletes by name and by label, and reports what is missing', async () => {
    expect((await c.kedge(['create', 'namespace', 'team-a'])).stdout).toBe('namespace/team-a created\n');
    const secret = await c.kedge([
      'create',
      'secret',
      'generic',
      'db',
      '-n',
      'team-a',
      '--from-literal=password=s3cr3t',
    ]);
    expect(secret.stdout).toBe('secret/db created\n');
    const stored = (await get('secrets', 'db', 'team-a')) as { data: Record<string, string> };
    expect(Buffer.from(stored.data.password ?? '', 'base64').toString()).toBe('s3cr3t');

    const again = await c.kedge(['create', 'namespace', 'team-a']);
    expect(again).toMatchObject({
      code: 1,
      stderr: 'Error from server (AlreadyExists): namespaces "team-a" already exists\n',
    });

    const del = await c.kedge(['delete', 'cm', 'settings']);
    expect(del).toMatchObject({ code: 0, stdout: 'configmap "settings" deleted\n' });
    const gone = await c.kedge(['get', 'configmap', 'settings']);
    expect(gone).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): configmaps "settings" not found\n',
    });
    const byLabel = await c.kedge(['delete', 'svc', '-l', 'app!=nothing']);
    expect(byLabel.stdout).toBe('service "web" deleted\n');
  }, 60_000);

  it('fails with messages that say what happened and what to do', async () => {
    const nope = await c.kedge(['get', 'pod', 'nope']);
    expect(nope).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error from server (NotFound): pods "nope" not found\n',
    });

    const bad = join(c.dir, 'broken.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [1, 2\n');
    const parsed = await c.kedge(['apply', '-f', bad]);
    expect(parsed.code).toBe(1);
    expect(parsed.stderr).toMatch(new RegExp(`^error: error parsing ${bad}: line \\d+: `));

    const type = await c.kedge(['get', 'widgets']);
    expect(type.code).toBe(2);
    expect(type.stderr).toContain('the server doesn\'t have a resource type "widgets"');

    const noConfig = await c.kedge(['get', 'pods'], { env: { KUBECONFIG: join(c.dir, 'missing') } });
    expect(noConfig.code).toBe(1);
    expect(noConfig.stderr).toContain('run `kedge init`');

    const badToken = await c.kedge(['get', 'pods', '--token', 'wrong']);
    expect(badToken).toMatchObject({ code: 1 });
    expect(badToken.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  }, 60_000);

  it('switches contexts and their namespaces', async () => {
    expect((await c.kedge(['config', 'current-context'])).stdout).toBe('local\n');
    expect((await c.kedge(['config', 'use-context', 'other'])).stdout).toBe('Switched to context "other".\n');
    const ns = await c.kedge(['get', 'deploy']);
    expect(ns.stderr).toBe('No resources found in kube-system namespace.\n');
    const view = await c.kedge(['config', 'view', '--minify']);
    expect(view.stdout).toContain('token: REDACTED');
    expect(view.stdout).toContain('current-context: other');
    await c.kedge(['config', 'use-context', 'local']);
  }, 30_000);
});
