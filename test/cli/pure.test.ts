import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../cli/src/args.ts';
import { mergeKubeconfigs, parseKubeconfig, resolveConnection } from '../../cli/src/client/kubeconfig.ts';
import { LineSplitter } from '../../cli/src/client/lines.ts';
import { parseTargets } from '../../cli/src/commands/targets.ts';
import { CliError } from '../../cli/src/errors.ts';
import { parseManifest } from '../../cli/src/manifests/parse.ts';
import { parseJsonPath, renderJsonPath } from '../../cli/src/printers/jsonpath.ts';
import { formatTable } from '../../cli/src/printers/table.ts';
import { nodeTopRows, podTopRows } from '../../cli/src/printers/top.ts';
import { revisions, undoPlan } from '../../cli/src/rollout/history.ts';
import { deploymentRolloutStatus } from '../../cli/src/rollout/status.ts';

// biome-ignore lint/suspicious/noExplicitAny: fixtures are free-form JSON
type J = any;

describe('argument parsing (pflag rules)', () => {
  const specs = [
    { name: 'namespace', short: 'n', type: 'string', help: '' },
    { name: 'watch', short: 'w', type: 'bool', help: '' },
    { name: 'all-namespaces', short: 'A', type: 'bool', help: '' },
    { name: 'env', type: 'strings', help: '' },
    { name: 'replicas', type: 'int', help: '' },
    { name: 'output', short: 'o', type: 'string', help: '' },
  ] as const;
  it('reads long, short, attached and combined forms and keeps what follows --', () => {
    const p = parseArgs(
      [
        'get',
        '-nkube-system',
        '-wA',
        '--env=A=1',
        '--env',
        'B=2',
        '-oyaml',
        '--replicas',
        '3',
        'pods',
        '--',
        'sh',
        '-c',
        'x',
      ],
      specs,
    );
    expect(p.positionals).toEqual(['get', 'pods']);
    expect(p.flags.string('namespace')).toBe('kube-system');
    expect(p.flags.bool('watch') && p.flags.bool('all-namespaces')).toBe(true);
    expect(p.flags.strings('env')).toEqual(['A=1', 'B=2']);
    expect(p.flags.string('output')).toBe('yaml');
    expect(p.flags.int('replicas')).toBe(3);
    expect(p.afterDashDash).toEqual(['sh', '-c', 'x']);
  });
  it('rejects unknown flags and bad values as usage errors (exit 2)', () => {
    for (const argv of [['--frob'], ['-x'], ['--replicas=three'], ['--watch=maybe'], ['-n']]) {
      const e = (() => {
        try {
          parseArgs(argv, specs);
        } catch (err) {
          return err;
        }
      })() as CliError;
      expect(e).toBeInstanceOf(CliError);
      expect(e.exitCode).toBe(2);
    }
  });
});

describe('resource arguments', () => {
  it('resolves short names, groups and TYPE/NAME', () => {
    expect(parseTargets(['po,deploy']).map((t) => t.info.resource)).toEqual(['pods', 'deployments']);
    expect(parseTargets(['deployment.apps', 'web'])).toMatchObject([
      { info: { resource: 'deployments' }, names: ['web'] },
    ]);
    expect(parseTargets(['svc/a', 'po/b', 'svc/c']).map((t) => [t.info.resource, t.names])).toEqual([
      ['services', ['a', 'c']],
      ['pods', ['b']],
    ]);
    expect(parseTargets(['all']).map((t) => t.info.resource)).toContain('deployments');
    expect(() => parseTargets(['widgets'])).toThrow('the server doesn\'t have a resource type "widgets"');
  });
});

describe('table layout', () => {
  it('aligns columns with three spaces and leaves the last column unpadded', () => {
    expect(
      formatTable(
        ['NAME', 'READY', 'STATUS'],
        [
          ['web-1', '1/1', 'Running'],
          ['a', '0/1', 'Pending'],
        ],
      ),
    ).toBe('NAME    READY   STATUS\nweb-1   1/1     Running\na       0/1     Pending\n');
  });
});

describe('jsonpath', () => {
  const list = {
    items: [
      {
        metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } },
        status: {
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'Init', status: 'False' },
          ],
        },
      },
      { metadata: { name: 'b' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
    ],
  };
  const run = (t: string, d: unknown = list) => renderJsonPath(parseJsonPath(t), d);
  it('walks fields, wildcards, indexes, quoted keys and filters', () => {
    expect(run('{.items[*].metadata.name}')).toBe('a b');
    expect(run('{.items[-1].metadata.name}')).toBe('b');
    expect(run("{.items[0].metadata.labels['app.kubernetes.io/name']}")).toBe('x');
    expect(run('{.items[*].status.conditions[?(@.type=="Ready")].status}')).toBe('True False');
    expect(run('{range .items[*]}{.metadata.name}{"\\t"}{.missing}{"\\n"}{end}')).toBe('a\t\nb\t\n');
    expect(run('name: {.metadata}', { metadata: { name: 'n' } })).toBe('name: {"name":"n"}');
  });
  it('says what is wrong with a bad template', () => {
    expect(() => parseJsonPath('{.items[*]')).toThrow('unclosed action');
    expect(() => parseJsonPath('{range .items[*]}{.x}')).toThrow('a range has no {end}');
  });
});

describe('manifests', () => {
  it('reads multi-document YAML, skips empty documents and flattens Lists', () => {
    const objs = parseManifest(
      '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# nothing\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n- {apiVersion: v1, kind: Service, metadata: {name: v}}\n',
      'x.yaml',
    );
    expect(objs.map((o) => `${o.object.kind}/${o.object.metadata.name}`)).toEqual([
      'ConfigMap/a',
      'Secret/s',
      'Service/v',
    ]);
  });
  it('names the file and line of a syntax error, and the document missing its kind', () => {
    expect(() => parseManifest('apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n', 'bad.yaml')).toThrow(
      /^error parsing bad.yaml: line \d+: /,
    );
    expect(() =>
      parseManifest('apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nmetadata: {name: x}\n', 'k.yaml'),
    ).toThrow('error validating "k.yaml" (document at line 4): error validating data: [kind not set]');
  });
});

describe('kubeconfig', () => {
  const text = `apiVersion: v1
clusters:
- name: c1
  cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: ${Buffer.from('PEM').toString('base64')}}
users:
- name: u1
  user: {token: t0k}
contexts:
- name: one
  context: {cluster: c1, user: u1, namespace: apps}
current-context: one
`;
  it('resolves the current context into server, CA, token and namespace', () => {
    const conn = resolveConnection(parseKubeconfig(text, '/k/config'), {}, () => '');
    expect(conn).toMatchObject({ namespace: 'apps', ca: 'PEM', token: 't0k', contextName: 'one' });
    expect(conn.server.href).toBe('https://127.0.0.1:6443/');
  });
  it('lets flags override, and merges files with the first one winning', () => {
    const other = parseKubeconfig(
      'contexts:\n- name: one\n  context: {cluster: zz, user: zz}\ncurrent-context: two\n',
      '/k/second',
    );
    const merged = mergeKubeconfigs([parseKubeconfig(text, '/k/config'), other]);
    expect(merged.currentContext).toBe('one');
    expect(merged.contexts.find((c) => c.name === 'one')?.value.cluster).toBe('c1');
    const conn = resolveConnection(merged, { namespace: 'x', token: 'flag' }, () => '');
    expect(conn).toMatchObject({ namespace: 'x', token: 'flag' });
  });
  it('says what to do when there is nothing to connect to', () => {
    expect(() => resolveConnection(mergeKubeconfigs([]), {}, () => '')).toThrow('run `kedge init`');
    expect(() =>
      resolveConnection(parseKubeconfig(text, '/k/config'), { context: 'nope' }, () => ''),
    ).toThrow('context "nope" does not exist');
  });
});

describe('rollout status messages (kubectl wording)', () => {
  const d = (spec: J, status: J, generation = 2): J => ({
    metadata: { name: 'web', generation },
    spec,
    status,
  });
  it('walks through the stages in kubectl order', () => {
    expect(deploymentRolloutStatus(d({ replicas: 3 }, { observedGeneration: 1 })).message).toBe(
      'Waiting for deployment spec update to be observed...',
    );
    expect(
      deploymentRolloutStatus(d({ replicas: 3 }, { observedGeneration: 2, updatedReplicas: 1 })).message,
    ).toBe('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...');
    expect(
      deploymentRolloutStatus(d({ replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 }))
        .message,
    ).toBe('Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...');
    expect(
      deploymentRolloutStatus(
        d({ replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 1 }),
      ).message,
    ).toBe('Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...');
    expect(
      deploymentRolloutStatus(
        d({ replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
      ),
    ).toEqual({
      done: true,
      message: 'deployment "web" successfully rolled out',
    });
    const stuck = deploymentRolloutStatus(
      d(
        { replicas: 3 },
        {
          observedGeneration: 2,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
        },
      ),
    );
    expect(stuck).toEqual({ failed: true, message: 'deployment "web" exceeded its progress deadline' });
  });
});

describe('rollout undo', () => {
  const tpl = (image: string, hash: string): J => ({
    metadata: { labels: { app: 'web', 'pod-template-hash': hash } },
    spec: { containers: [{ name: 'c', image }] },
  });
  const rs = (rev: number, image: string, owner = 'd1'): J => ({
    metadata: {
      name: `web-${rev}`,
      annotations: { 'deployment.kubernetes.io/revision': String(rev) },
      ownerReferences: [{ controller: true, uid: owner }],
    },
    spec: { template: tpl(image, `h${rev}`) },
  });
  const dep: J = {
    metadata: { name: 'web', uid: 'd1', annotations: { 'deployment.kubernetes.io/revision': '3' } },
    spec: {
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v3' }] } },
    },
  };
  const revs = revisions(dep, [rs(3, 'v3'), rs(1, 'v1'), rs(2, 'v2'), rs(9, 'other', 'someone-else')]);
  it('goes back one revision by default, or to the one asked for, without the hash label', () => {
    expect(revs.map((r) => r.revision)).toEqual([1, 2, 3]);
    const back = undoPlan(dep, revs, 0);
    expect(back).toMatchObject({ kind: 'patch', revision: 2 });
    expect((back as J).patch[0]).toEqual({
      op: 'replace',
      path: '/spec/template',
      value: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } },
    });
    expect(undoPlan(dep, revs, 1)).toMatchObject({ revision: 1 });
    expect(undoPlan(dep, revs, 3).kind).toBe('skip');
    expect(() => undoPlan(dep, revs, 7)).toThrow('unable to find specified revision 7');
    expect(() => undoPlan({ ...dep, spec: { ...dep.spec, paused: true } }, revs, 0)).toThrow('paused');
  });
});

describe('top', () => {
  it('prints millicores, MiB and shares of allocatable', () => {
    const rows = nodeTopRows([{ metadata: { name: 'n1' }, usage: { cpu: '250m', memory: '512Mi' } }], [
      { metadata: { name: 'n1' }, status: { allocatable: { cpu: '2', memory: '2Gi' } } },
      { metadata: { name: 'n2' } },
    ] as J);
    expect(rows.rows).toEqual([
      ['n1', '250m', '12%', '512Mi', '25%'],
      ['n2', '<unknown>', '<unknown>', '<unknown>', '<unknown>'],
    ]);
    const pods = podTopRows(
      [
        {
          metadata: { name: 'p', namespace: 'd' },
          containers: [
            { name: 'a', usage: { cpu: '1m', memory: '1Mi' } },
            { name: 'b', usage: { cpu: '2m', memory: '3Mi' } },
          ],
        },
      ],
      { containers: false, namespaceColumn: true },
    );
    expect(pods).toEqual({
      header: ['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      rows: [['d', 'p', '3m', '4Mi']],
    });
  });
});

describe('watch stream lines', () => {
  it('reassembles lines split across chunks', () => {
    const s = new LineSplitter();
    expect(s.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(':2}\r\n\n')).toEqual(['{"b":2}']);
    expect(s.push('{"c":3}')).toEqual([]);
    expect(s.flush()).toEqual(['{"c":3}']);
  });
});
