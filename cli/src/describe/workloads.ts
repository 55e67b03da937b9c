/** describe for Pods and Deployments, following kubectl's describers. Pure. */
import {
  type Container,
  type Deployment,
  type Event,
  type KubeObject,
  type Pod,
  type PodTemplateSpec,
  podQOSClass,
  podStatusReason,
  type ReplicaSet,
} from '../api.ts';
import { eventsField } from './events.ts';
import { describeTime, type Field, mapLines, render, type Section, section, table } from './layout.ts';

const meta = (o: KubeObject): Field[] => [
  ['Name', o.metadata.name ?? ''],
  ...(o.metadata.namespace !== undefined ? ([['Namespace', o.metadata.namespace]] as Field[]) : []),
];

const annotationsOf = (o: KubeObject | { metadata?: KubeObject['metadata'] }) => {
  const a = { ...(o.metadata?.annotations ?? {}) };
  // kubectl hides the (long) last-applied annotation in describe.
  delete a['kubectl.kubernetes.io/last-applied-configuration'];
  return mapLines(a, ': ');
};

function containerSection(
  c: Container,
  status: NonNullable<Pod['status']>['containerStatuses'] extends (infer S)[] | undefined
    ? S | undefined
    : never,
): Section {
  const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
  const state = status?.state;
  const stateFields: Field[] = state?.running
    ? [
        ['State', 'Running'],
        ['  Started', describeTime(state.running.startedAt)],
      ]
    : state?.terminated
      ? [
          ['State', 'Terminated'],
          ['  Reason', state.terminated.reason ?? ''],
          ['  Exit Code', String(state.terminated.exitCode)],
          ['  Started', describeTime(state.terminated.startedAt)],
          ['  Finished', describeTime(state.terminated.finishedAt)],
        ]
      : state?.waiting
        ? [
            ['State', 'Waiting'],
            ['  Reason', state.waiting.reason ?? ''],
          ]
        : [['State', 'Waiting']];
  const env = (c.env ?? []).map((e) =>
    e.value !== undefined
      ? `${e.name}:  ${e.value}`
      : e.valueFrom?.fieldRef
        ? `${e.name}:   (${e.valueFrom.fieldRef.fieldPath})`
        : e.valueFrom?.secretKeyRef
          ? `${e.name}:  <set to the key '${e.valueFrom.secretKeyRef.key}' in secret '${e.valueFrom.secretKeyRef.name ?? ''}'>`
          : e.valueFrom?.configMapKeyRef
            ? `${e.name}:  <set to the key '${e.valueFrom.configMapKeyRef.key}' of config map '${e.valueFrom.configMapKeyRef.name ?? ''}'>`
            : `${e.name}:  `,
  );
  const res = (m: Record<string, string> | undefined): Section | undefined =>
    m && Object.keys(m).length > 0 ? section(Object.entries(m).map(([k, v]) => [k, v] as Field)) : undefined;
  const limits = res(c.resources?.limits);
  const requests = res(c.resources?.requests);
  return section([
    status?.containerID !== undefined && ['Container ID', status.containerID],
    ['Image', c.image ?? ''],
    status !== undefined && ['Image ID', status.imageID ?? ''],
    ['Port', ports || '<none>'],
    c.command && ['Command', c.command.join('\n')],
    c.args && ['Args', c.args.join('\n')],
    ...(status ? stateFields : []),
    status !== undefined && ['Ready', status.ready ? 'True' : 'False'],
    status !== undefined && ['Restart Count', String(status.restartCount ?? 0)],
    limits && ['Limits', limits],
    requests && ['Requests', requests],
    ['Environment', env.length === 0 ? '<none>' : env.join('\n')],
    [
      'Mounts',
      (c.volumeMounts ?? [])
        .map((m) => `${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'})`)
        .join('\n') || '<none>',
    ],
  ]);
}

export function describePod(p: Pod, events: readonly Event[], now: number): string {
  const s = p.status;
  const owner = p.metadata.ownerReferences?.find((r) => r.controller);
  const byName = new Map((s?.containerStatuses ?? []).map((c) => [c.name, c]));
  const fields: Field[] = [
    ...meta(p),
    ['Priority', String(p.spec.priority ?? 0)],
    ['Service Account', p.spec.serviceAccountName ?? 'default'],
    ['Node', p.spec.nodeName ? `${p.spec.nodeName}${s?.hostIP ? `/${s.hostIP}` : ''}` : '<none>'],
    ...(s?.startTime ? ([['Start Time', describeTime(s.startTime)]] as Field[]) : []),
    ['Labels', mapLines(p.metadata.labels)],
    ['Annotations', annotationsOf(p)],
    ['Status', podStatusReason(p)],
    ...(s?.reason ? ([['Reason', s.reason]] as Field[]) : []),
    ...(s?.message ? ([['Message', s.message]] as Field[]) : []),
    ['IP', s?.podIP ?? ''],
    ...(owner ? ([['Controlled By', `${owner.kind}/${owner.name}`]] as Field[]) : []),
    [
      'Containers',
      section(
        (p.spec.containers ?? []).map((c) => [c.name, containerSection(c, byName.get(c.name))] as Field),
      ),
    ],
    [
      'Conditions',
      table(
        ['Type', 'Status'],
        (s?.conditions ?? []).map((c) => [c.type, c.status]),
      ),
    ],
    [
      'Volumes',
      (p.spec.volumes ?? []).length === 0
        ? '<none>'
        : section(
            (p.spec.volumes ?? []).map((v) => {
              const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
              return [v.name, section([['Type', kind]])] as Field;
            }),
          ),
    ],
    ['QoS Class', s?.qosClass ?? podQOSClass(p.spec)],
    ['Node-Selectors', mapLines(p.spec.nodeSelector)],
    [
      'Tolerations',
      (p.spec.tolerations ?? [])
        .map(
          (t) =>
            `${t.key ?? ''}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}:${t.effect ?? ''}${t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : ''}`,
        )
        .join('\n') || '<none>',
    ],
    eventsField(events, now),
  ];
  return render(fields);
}

function templateSection(t: PodTemplateSpec | undefined): Section {
  return section([
    ['Labels', mapLines(t?.metadata?.labels)],
    ...(t?.metadata?.annotations
      ? ([['Annotations', mapLines(t.metadata.annotations, ': ')]] as Field[])
      : []),
    [
      'Containers',
      section((t?.spec?.containers ?? []).map((c) => [c.name, containerSection(c, undefined)] as Field)),
    ],
    ['Volumes', (t?.spec?.volumes ?? []).map((v) => v.name).join(', ') || '<none>'],
  ]);
}

const rsLine = (rs: ReplicaSet | undefined) =>
  rs
    ? `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec.replicas ?? 0} replicas created)`
    : '<none>';

/** `newRS` is the ReplicaSet whose template matches; `oldRSs` the others still owned. */
export function describeDeployment(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
  events: readonly Event[],
  now: number,
): string {
  const st = d.status ?? {};
  const strategy = d.spec.strategy?.type ?? 'RollingUpdate';
  const ru = d.spec.strategy?.rollingUpdate;
  const sel = d.spec.selector?.matchLabels ?? {};
  const fields: Field[] = [
    ...meta(d),
    ['CreationTimestamp', describeTime(d.metadata.creationTimestamp)],
    ['Labels', mapLines(d.metadata.labels)],
    ['Annotations', annotationsOf(d)],
    [
      'Selector',
      Object.entries(sel)
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>',
    ],
    [
      'Replicas',
      `${d.spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
    ],
    ['StrategyType', strategy],
    ['MinReadySeconds', String(d.spec.minReadySeconds ?? 0)],
    ...(strategy === 'RollingUpdate'
      ? ([
          [
            'RollingUpdateStrategy',
            `${ru?.maxUnavailable ?? '25%'} max unavailable, ${ru?.maxSurge ?? '25%'} max surge`,
          ],
        ] as Field[])
      : []),
    ['Pod Template', templateSection(d.spec.template)],
    [
      'Conditions',
      table(
        ['Type', 'Status', 'Reason'],
        (st.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '']),
      ),
    ],
    ['OldReplicaSets', oldRSs.length === 0 ? '<none>' : oldRSs.map(rsLine).join(', ')],
    ['NewReplicaSet', rsLine(newRS)],
    eventsField(events, now),
  ];
  return render(fields);
}
