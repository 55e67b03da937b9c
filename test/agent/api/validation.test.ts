import { describe, expect, it } from 'vitest';
import {
  applyDefaults,
  buildTable,
  type Deployment,
  humanDuration,
  invalid,
  type KubeObject,
  notFound,
  type Pod,
  prepareForCreate,
  resolveResource,
  validateCreate,
  validateUpdate,
} from '../../../agent/src/api/index.ts';

function deployment(): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] },
      },
    },
  };
}

describe('errors', () => {
  it('words NotFound and Invalid like Kubernetes', () => {
    expect(notFound('pods', 'nope').status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'pods "nope" not found',
      details: { name: 'nope', kind: 'pods' },
    });
    expect(notFound('deployments.apps', 'web').message).toBe('deployments.apps "web" not found');
    const d = deployment();
    d.spec.replicas = -1;
    const err = validateCreate('apps/deployments', d);
    expect(err?.message).toBe(
      'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(err?.status.details).toMatchObject({
      group: 'apps',
      kind: 'Deployment',
      causes: [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.replicas',
          message: 'Invalid value: -1: must be greater than or equal to 0',
        },
      ],
    });
    expect(invalid('Pod', 'x', []).code).toBe(422);
  });
});

describe('validation reports every cause at once', () => {
  it('lists all problems of a bad pod in one Invalid error', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'Bad_Name', namespace: 'default', labels: { 'bad key!': 'v', ok: 'x'.repeat(64) } },
      spec: {
        restartPolicy: 'Sometimes',
        containers: [
          {
            name: 'web',
            image: '',
            ports: [{ containerPort: 70000 }],
            resources: { requests: { cpu: '2' }, limits: { cpu: '1', memory: '12 apples' } },
            volumeMounts: [{ name: 'missing', mountPath: '/data' }],
            livenessProbe: { periodSeconds: 0 },
          },
          { name: 'web', image: 'busybox' },
        ],
      },
    } as unknown as Pod;
    const err = validateCreate('/pods', pod);
    const fields = err?.status.details?.causes?.map((c) => `${c.reason} ${c.field}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        'FieldValueInvalid metadata.name',
        'FieldValueInvalid metadata.labels',
        'FieldValueInvalid metadata.labels[ok]',
        'FieldValueRequired spec.containers[0].image',
        'FieldValueInvalid spec.containers[0].ports[0].containerPort',
        'FieldValueInvalid spec.containers[0].resources.limits[memory]',
        'FieldValueInvalid spec.containers[0].resources.requests[cpu]',
        'FieldValueNotFound spec.containers[0].volumeMounts[0].name',
        'FieldValueRequired spec.containers[0].livenessProbe',
        'FieldValueInvalid spec.containers[0].livenessProbe.periodSeconds',
        'FieldValueDuplicate spec.containers[1].name',
        'FieldValueNotSupported spec.restartPolicy',
      ]),
    );
    expect(err?.message).toMatch(/^Pod "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": /);
    expect(err?.message).toContain('spec.containers[0].image: Required value');
    expect(err?.message).toContain(
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
    expect(err?.message).toContain('spec.containers[1].name: Duplicate value: "web"');
  });

  it('accepts a defaulted valid deployment and checks its selector against the template', () => {
    const d = deployment();
    applyDefaults('apps/deployments', d);
    expect(validateCreate('apps/deployments', d)).toBeUndefined();
    d.spec.template.metadata = { labels: { app: 'other' } };
    expect(validateCreate('apps/deployments', d)?.message).toContain(
      'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
    );
  });

  it('checks services, configmaps and jobs', () => {
    const svc = {
      metadata: { name: 'api', namespace: 'default' },
      spec: { ports: [{ port: 0 }, { port: 80 }] },
    } as KubeObject;
    const svcErr = validateCreate('/services', svc)?.status.details?.causes?.map((c) => c.field);
    expect(svcErr).toEqual(
      expect.arrayContaining(['spec.ports[0].name', 'spec.ports[0].port', 'spec.ports[1].name']),
    );
    const cm = { metadata: { name: 'c', namespace: 'default' }, data: { 'bad/key': 'v' } } as KubeObject;
    expect(validateCreate('/configmaps', cm)?.status.details?.causes?.[0]?.field).toBe('data[bad/key]');
    const job = {
      metadata: { name: 'j', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } },
    } as KubeObject;
    applyDefaults('batch/jobs', job);
    prepareForCreate('batch/jobs', job, 'u-1');
    // Job pods must not restart Always (Kubernetes leaves it to the user to choose).
    expect(validateCreate('batch/jobs', job)?.message).toContain(
      'spec.template.spec.restartPolicy: Unsupported value: "Always"',
    );
  });

  it('enforces immutable fields on update', () => {
    const d = deployment();
    applyDefaults('apps/deployments', d);
    d.metadata.uid = 'u1';
    const next = structuredClone(d);
    next.spec.selector = { matchLabels: { app: 'web2' } };
    next.spec.template.metadata = { labels: { app: 'web2' } };
    expect(validateUpdate('apps/deployments', next, d)?.message).toContain(
      'spec.selector: Invalid value: {"matchLabels":{"app":"web2"}}: field is immutable',
    );
    const pod = {
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'a' }] },
    } as Pod;
    applyDefaults('/pods', pod);
    const newImage = structuredClone(pod);
    newImage.spec.containers[0]!.image = 'b';
    expect(validateUpdate('/pods', newImage, pod)).toBeUndefined();
    const newPort = structuredClone(pod);
    newPort.spec.containers[0]!.ports = [{ containerPort: 80 }];
    expect(validateUpdate('/pods', newPort, pod)?.status.details?.causes?.[0]).toMatchObject({
      reason: 'FieldValueForbidden',
      field: 'spec',
    });
  });
});

describe('defaults', () => {
  it('defaults pods, containers, deployments, services and jobs as Kubernetes does', () => {
    const d = deployment();
    applyDefaults('apps/deployments', d);
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec.template.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
    });
    expect(d.spec.template.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
    });
    const pod = {
      metadata: { name: 'p', namespace: 'd' },
      spec: {
        containers: [
          {
            name: 'a',
            image: 'busybox',
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: '1', memory: '1Gi' } },
          },
          { name: 'b', image: 'reg:5000/x:latest', resources: { limits: { cpu: '1', memory: '1Gi' } } },
        ],
      },
    } as Pod;
    applyDefaults('/pods', pod);
    prepareForCreate('/pods', pod, 'u');
    expect(pod.spec.containers.map((c) => c.imagePullPolicy)).toEqual(['Always', 'Always']);
    expect(pod.spec.containers[0]?.ports?.[0]?.protocol).toBe('TCP');
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'Guaranteed' });
    const svc = { metadata: { name: 's', namespace: 'd' }, spec: { ports: [{ port: 80 }] } } as KubeObject;
    applyDefaults('/services', svc);
    expect(svc).toMatchObject({
      spec: {
        type: 'ClusterIP',
        sessionAffinity: 'None',
        ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }],
      },
    });
    const job = {
      metadata: { name: 'j', namespace: 'd' },
      spec: { template: { spec: { containers: [] } } },
    } as KubeObject;
    applyDefaults('batch/jobs', job);
    expect(job).toMatchObject({ spec: { backoffLimit: 6, completions: 1, parallelism: 1 } });
  });
});

describe('registry and tables', () => {
  it('resolves what users type to resources', () => {
    expect(resolveResource('po')?.resource).toBe('pods');
    expect(resolveResource('deploy')?.group).toBe('apps');
    expect(resolveResource('deployments.apps')?.kind).toBe('Deployment');
    expect(resolveResource('hpa')?.version).toBe('v2');
    expect(resolveResource('cj')?.resource).toBe('cronjobs');
    expect(resolveResource('no')?.namespaced).toBe(false);
  });

  it('prints pod rows as kubectl shows them', () => {
    const now = Date.parse('2026-01-01T01:00:00Z');
    const pod = {
      metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2026-01-01T00:55:00Z' },
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'a', ready: true, restartCount: 2, image: '', imageID: '', state: { running: {} } },
          {
            name: 'b',
            ready: false,
            restartCount: 1,
            image: '',
            imageID: '',
            state: { waiting: { reason: 'CrashLoopBackOff' } },
          },
        ],
      },
    } as Pod;
    const t = buildTable('/pods', [pod], { now });
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
    ]);
    expect(t.rows[0]?.cells.slice(0, 5)).toEqual(['web-1', '1/2', 'CrashLoopBackOff', 3, '5m']);
    expect(humanDuration(45)).toBe('45s');
    expect(humanDuration(310)).toBe('5m10s');
    expect(humanDuration(3 * 3600)).toBe('3h');
    expect(humanDuration(52 * 3600)).toBe('2d4h');
  });
});

describe('service port names', () => {
  function service(portName: string): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: portName, port: 80, targetPort: 8080 }] },
    } as KubeObject;
  }

  it('accepts the digits-only names that kubectl create service generates', () => {
    expect(validateCreate('/services', service('80-8080'))).toBeUndefined();
  });

  it('still rejects names that are not DNS labels', () => {
    expect(validateCreate('/services', service('Not_A_Label'))?.message).toMatch(/spec\.ports\[0\]\.name/);
  });
});

describe('statefulset volume claim templates', () => {
  function statefulSet(claimName: string): KubeObject {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'vault', namespace: 'default' },
      spec: {
        serviceName: 'vault',
        selector: { matchLabels: { app: 'vault' } },
        template: {
          metadata: { labels: { app: 'vault' } },
          spec: {
            containers: [
              { name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: claimName },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    } as KubeObject;
  }

  it('lets the template mount a claim template by name, as Kubernetes does', () => {
    expect(validateCreate('apps/statefulsets', statefulSet('data'))).toBeUndefined();
  });

  it('still rejects a mount that names neither a volume nor a claim template', () => {
    expect(validateCreate('apps/statefulsets', statefulSet('other'))?.message).toMatch(
      /volumeMounts\[0\]\.name: Not found: "data"/,
    );
  });
});
