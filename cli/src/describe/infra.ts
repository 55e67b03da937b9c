/** describe for Nodes, Services and any other kind (metadata plus the rest as YAML). Pure. */
import { stringify } from 'yaml';
import type { Endpoints, Event, KubeObject, Node, Pod, Service } from '../api.ts';
import { eventsField } from './events.ts';
import { describeTime, type Field, mapLines, render, section, table } from './layout.ts';

const annotationsOf = (o: KubeObject) => {
  const a = { ...(o.metadata.annotations ?? {}) };
  delete a['kubectl.kubernetes.io/last-applied-configuration'];
  return mapLines(a, ': ');
};

/** `pods` are the pods bound to the node, for the "Non-terminated Pods" table. */
export function describeNode(n: Node, pods: readonly Pod[], events: readonly Event[], now: number): string {
  const st = n.status ?? {};
  const res = (m: Record<string, string> | undefined) =>
    section(Object.entries(m ?? {}).map(([k, v]) => [k, v] as Field));
  const info = st.nodeInfo ?? {};
  const fields: Field[] = [
    ['Name', n.metadata.name ?? ''],
    [
      'Roles',
      Object.keys(n.metadata.labels ?? {})
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length))
        .join(',') || '<none>',
    ],
    ['Labels', mapLines(n.metadata.labels)],
    ['Annotations', annotationsOf(n)],
    ['CreationTimestamp', describeTime(n.metadata.creationTimestamp)],
    [
      'Taints',
      (n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join('\n') ||
        '<none>',
    ],
    ['Unschedulable', n.spec?.unschedulable ? 'true' : 'false'],
    [
      'Conditions',
      table(
        ['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'],
        (st.conditions ?? []).map((c) => [
          c.type,
          c.status,
          describeTime(c.lastHeartbeatTime),
          describeTime(c.lastTransitionTime),
          c.reason ?? '',
          c.message ?? '',
        ]),
      ),
    ],
    ['Addresses', section((st.addresses ?? []).map((a) => [a.type, a.address] as Field))],
    ['Capacity', res(st.capacity)],
    ['Allocatable', res(st.allocatable)],
    [
      'System Info',
      section([
        ['Kernel Version', info.kernelVersion ?? ''],
        ['OS Image', info.osImage ?? ''],
        ['Operating System', info.operatingSystem ?? ''],
        ['Architecture', info.architecture ?? ''],
        ['Container Runtime Version', info.containerRuntimeVersion ?? ''],
        ['Kubelet Version', info.kubeletVersion ?? ''],
      ]),
    ],
    [
      `Non-terminated Pods`,
      table(
        ['Namespace', 'Name', 'CPU Requests', 'Memory Requests', 'Age'],
        pods.map((p) => {
          const req = (r: string) =>
            (p.spec.containers ?? [])
              .map((c) => c.resources?.requests?.[r])
              .filter((x): x is string => x !== undefined)
              .join('+') || '0';
          const created = p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : now;
          return [
            p.metadata.namespace ?? '',
            p.metadata.name ?? '',
            req('cpu'),
            req('memory'),
            ageText(now - created),
          ];
        }),
      ),
    ],
    eventsField(events, now),
  ];
  return render(fields);
}

function ageText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function describeService(
  s: Service,
  endpoints: Endpoints | undefined,
  events: readonly Event[],
  now: number,
): string {
  const eps = (endpoints?.subsets ?? []).flatMap((sub) =>
    (sub.addresses ?? []).flatMap((a) =>
      sub.ports?.length ? sub.ports.map((p) => `${a.ip}:${p.port}`) : [a.ip],
    ),
  );
  const portFields: Field[] = (s.spec.ports ?? []).flatMap((p) => {
    const name = p.name || '<unset>';
    const out: Field[] = [
      ['Port', `${name}  ${p.port}/${p.protocol ?? 'TCP'}`],
      ['TargetPort', `${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`],
    ];
    if (p.nodePort) out.push(['NodePort', `${name}  ${p.nodePort}/${p.protocol ?? 'TCP'}`]);
    out.push(['Endpoints', eps.join(',') || '<none>']);
    return out;
  });
  const fields: Field[] = [
    ['Name', s.metadata.name ?? ''],
    ['Namespace', s.metadata.namespace ?? ''],
    ['Labels', mapLines(s.metadata.labels)],
    ['Annotations', annotationsOf(s)],
    [
      'Selector',
      Object.entries(s.spec.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>',
    ],
    ['Type', s.spec.type ?? 'ClusterIP'],
    ['IP Family Policy', s.spec.ipFamilyPolicy ?? 'SingleStack'],
    ['IP Families', (s.spec.ipFamilies ?? ['IPv4']).join(',')],
    ['IP', s.spec.clusterIP ?? '<none>'],
    ['IPs', (s.spec.clusterIPs ?? (s.spec.clusterIP ? [s.spec.clusterIP] : [])).join(',') || '<none>'],
    ...portFields,
    ['Session Affinity', s.spec.sessionAffinity ?? 'None'],
    eventsField(events, now),
  ];
  return render(fields);
}

/** Any kind without its own describer: metadata as kubectl prints it, then the rest as YAML. */
export function describeGeneric(o: KubeObject, events: readonly Event[], now: number): string {
  const { apiVersion, kind, metadata, ...rest } = o as KubeObject & Record<string, unknown>;
  const fields: Field[] = [
    ['Name', metadata.name ?? ''],
    ...(metadata.namespace !== undefined ? ([['Namespace', metadata.namespace]] as Field[]) : []),
    ['Labels', mapLines(metadata.labels)],
    ['Annotations', annotationsOf(o)],
    ['API Version', apiVersion ?? ''],
    ['Kind', kind ?? ''],
  ];
  const body = Object.keys(rest).length > 0 ? stringify(rest, { indent: 2, lineWidth: 0 }) : '';
  // Secrets: kubectl shows sizes, never values.
  const text =
    kind === 'Secret'
      ? Object.entries((rest.data ?? {}) as Record<string, string>)
          .map(([k, v]) => `${k}:  ${Buffer.from(v, 'base64').length} bytes\n`)
          .join('')
      : body;
  return `${render(fields)}${text ? `${kind === 'Secret' ? 'Data\n====\n' : ''}${text}` : ''}${render([eventsField(events, now)])}`;
}
