/** The columns `kubectl get` shows per resource, and how each cell is computed (as kubectl's printers). */
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from './types/apps.ts';
import type { HorizontalPodAutoscaler } from './types/autoscaling.ts';
import type { CronJob, Job } from './types/batch.ts';
import type { Lease } from './types/coordination.ts';
import type {
  ConfigMap,
  Endpoints,
  Event,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from './types/core.ts';
import type { KubeObject, TableColumnDefinition } from './types/meta.ts';
import type { Ingress, IngressClass } from './types/networking.ts';
import type { Pod } from './types/pod.ts';
import type { PriorityClass } from './types/scheduling.ts';

export type Cell = string | number | boolean;

export interface Column {
  readonly def: TableColumnDefinition;
  readonly cell: (o: KubeObject, now: number) => Cell;
}

/** kubectl's HumanDuration: 45s, 5m10s, 3h, 2d4h, 400d, 3y20d. */
export function humanDuration(seconds: number): string {
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  const s = Math.floor(seconds);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / (24 * 365));
  const d = Math.floor((h % (24 * 365)) / 24);
  if (h < 24 * 365 * 8) return d === 0 ? `${y}y` : `${y}y${d}d`;
  return `${y}y`;
}

/** Age of a timestamp at `now` (ms), or <unknown>. */
export function age(ts: string | null | undefined, now: number): string {
  if (!ts) return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration((now - t) / 1000);
}

const col = (
  name: string,
  cell: Column['cell'],
  type: TableColumnDefinition['type'] = 'string',
  priority = 0,
  format = '',
): Column => ({ def: { name, type, format, description: name, priority }, cell });

const NAME = col('Name', (o) => o.metadata.name ?? '', 'string', 0, 'name');
const AGE = col('Age', (o, now) => age(o.metadata.creationTimestamp, now));
const n = (v: number | undefined) => v ?? 0;
const joinOr = (xs: string[], none = '<none>') => (xs.length === 0 ? none : xs.join(','));
const selectorText = (m: Record<string, string> | undefined) =>
  joinOr(Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`));

/** The STATUS column of a pod, following kubectl's printPod. */
export function podStatusReason(p: Pod): string {
  let reason = p.status?.reason ?? p.status?.phase ?? 'Pending';
  const inits = p.status?.initContainerStatuses ?? [];
  let initializing = false;
  for (const [i, c] of inits.entries()) {
    const t = c.state?.terminated;
    if (t !== undefined && t.exitCode === 0) continue;
    initializing = true;
    if (t !== undefined)
      reason = t.reason
        ? `Init:${t.reason}`
        : t.signal
          ? `Init:Signal:${t.signal}`
          : `Init:ExitCode:${t.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing')
      reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${(p.spec.initContainers ?? []).length}`;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    for (const c of [...(p.status?.containerStatuses ?? [])].reverse()) {
      const w = c.state?.waiting?.reason;
      const t = c.state?.terminated;
      if (w) reason = w;
      else if (t?.reason) reason = t.reason;
      else if (t !== undefined) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && c.state?.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (p.metadata.deletionTimestamp !== undefined)
    reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function podRestarts(p: Pod): number {
  return (p.status?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
}

function servicePorts(s: Service): string {
  return joinOr(
    (s.spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`),
  );
}

function endpointsText(e: Endpoints): string {
  const out: string[] = [];
  for (const s of e.subsets ?? [])
    for (const a of s.addresses ?? [])
      for (const p of s.ports?.length ? s.ports : [undefined]) out.push(p ? `${a.ip}:${p.port}` : a.ip);
  if (out.length > 3) return `${out.slice(0, 3).join(',')} + ${out.length - 3} more...`;
  return joinOr(out);
}

function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const parts = [ready?.status === 'True' ? 'Ready' : ready === undefined ? 'Unknown' : 'NotReady'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(node: Node): string {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return joinOr(roles.sort());
}

export const COLUMNS: Readonly<Record<string, readonly Column[]>> = {
  '/pods': [
    NAME,
    col('Ready', (o) => {
      const p = o as Pod;
      const ready = (p.status?.containerStatuses ?? []).filter((c) => c.ready).length;
      return `${ready}/${p.spec.containers?.length ?? 0}`;
    }),
    col('Status', (o) => podStatusReason(o as Pod)),
    col('Restarts', (o) => podRestarts(o as Pod), 'integer'),
    AGE,
    col('IP', (o) => (o as Pod).status?.podIP ?? '<none>', 'string', 1),
    col('Node', (o) => (o as Pod).spec.nodeName || '<none>', 'string', 1),
    col('Nominated Node', (o) => (o as Pod).status?.nominatedNodeName || '<none>', 'string', 1),
    col('Readiness Gates', () => '<none>', 'string', 1),
  ],
  '/services': [
    NAME,
    col('Type', (o) => (o as Service).spec.type ?? 'ClusterIP'),
    col('Cluster-IP', (o) => (o as Service).spec.clusterIP || '<none>'),
    col('External-IP', (o) => {
      const s = o as Service;
      const ips = [
        ...(s.spec.externalIPs ?? []),
        ...(s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? ''),
      ];
      if (s.spec.type === 'ExternalName') return s.spec.externalName ?? '<none>';
      if (s.spec.type === 'LoadBalancer' && ips.length === 0) return '<pending>';
      return joinOr(ips);
    }),
    col('Port(s)', (o) => servicePorts(o as Service)),
    AGE,
    col('Selector', (o) => selectorText((o as Service).spec.selector), 'string', 1),
  ],
  '/endpoints': [NAME, col('Endpoints', (o) => endpointsText(o as Endpoints)), AGE],
  '/configmaps': [
    NAME,
    col(
      'Data',
      (o) =>
        Object.keys((o as ConfigMap).data ?? {}).length +
        Object.keys((o as ConfigMap).binaryData ?? {}).length,
      'integer',
    ),
    AGE,
  ],
  '/secrets': [
    NAME,
    col('Type', (o) => (o as Secret).type ?? 'Opaque'),
    col('Data', (o) => Object.keys((o as Secret).data ?? {}).length, 'integer'),
    AGE,
  ],
  '/namespaces': [NAME, col('Status', (o) => (o as Namespace).status?.phase ?? 'Active'), AGE],
  '/nodes': [
    NAME,
    col('Status', (o) => nodeStatus(o as Node)),
    col('Roles', (o) => nodeRoles(o as Node)),
    AGE,
    col('Version', (o) => (o as Node).status?.nodeInfo?.kubeletVersion ?? ''),
    col(
      'Internal-IP',
      (o) => (o as Node).status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '<none>',
      'string',
      1,
    ),
    col('OS-Image', (o) => (o as Node).status?.nodeInfo?.osImage ?? '<unknown>', 'string', 1),
    col('Kernel-Version', (o) => (o as Node).status?.nodeInfo?.kernelVersion ?? '<unknown>', 'string', 1),
    col(
      'Container-Runtime',
      (o) => (o as Node).status?.nodeInfo?.containerRuntimeVersion ?? '<unknown>',
      'string',
      1,
    ),
  ],
  '/events': [
    col('Last Seen', (o, now) => {
      const e = o as Event;
      return age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp, now);
    }),
    col('Type', (o) => (o as Event).type ?? ''),
    col('Reason', (o) => (o as Event).reason ?? ''),
    col('Object', (o) => {
      const io = (o as Event).involvedObject;
      return `${(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`;
    }),
    col('Message', (o) => ((o as Event).message ?? '').trim()),
  ],
  '/persistentvolumeclaims': [
    NAME,
    col('Status', (o) => (o as PersistentVolumeClaim).status?.phase ?? 'Pending'),
    col('Volume', (o) => (o as PersistentVolumeClaim).spec.volumeName ?? ''),
    col('Capacity', (o) => (o as PersistentVolumeClaim).status?.capacity?.storage ?? ''),
    col('Access Modes', (o) => accessModes((o as PersistentVolumeClaim).status?.accessModes)),
    col('StorageClass', (o) => (o as PersistentVolumeClaim).spec.storageClassName ?? '<unset>'),
    AGE,
  ],
  '/persistentvolumes': [
    NAME,
    col('Capacity', (o) => (o as PersistentVolume).spec.capacity?.storage ?? ''),
    col('Access Modes', (o) => accessModes((o as PersistentVolume).spec.accessModes)),
    col('Reclaim Policy', (o) => (o as PersistentVolume).spec.persistentVolumeReclaimPolicy ?? 'Retain'),
    col('Status', (o) => (o as PersistentVolume).status?.phase ?? 'Pending'),
    col('Claim', (o) => {
      const c = (o as PersistentVolume).spec.claimRef;
      return c ? `${c.namespace ?? ''}/${c.name ?? ''}` : '';
    }),
    col('StorageClass', (o) => (o as PersistentVolume).spec.storageClassName ?? ''),
    col('Reason', (o) => (o as PersistentVolume).status?.reason ?? ''),
    AGE,
  ],
  '/serviceaccounts': [
    NAME,
    col('Secrets', (o) => (o as ServiceAccount).secrets?.length ?? 0, 'integer'),
    AGE,
  ],
  'apps/deployments': [
    NAME,
    col(
      'Ready',
      (o) => `${n((o as Deployment).status?.readyReplicas)}/${n((o as Deployment).spec.replicas)}`,
    ),
    col('Up-to-date', (o) => n((o as Deployment).status?.updatedReplicas), 'integer'),
    col('Available', (o) => n((o as Deployment).status?.availableReplicas), 'integer'),
    AGE,
    col(
      'Containers',
      (o) => ((o as Deployment).spec.template?.spec?.containers ?? []).map((c) => c.name).join(','),
      'string',
      1,
    ),
    col(
      'Images',
      (o) => ((o as Deployment).spec.template?.spec?.containers ?? []).map((c) => c.image).join(','),
      'string',
      1,
    ),
    col('Selector', (o) => selectorText((o as Deployment).spec.selector?.matchLabels), 'string', 1),
  ],
  'apps/replicasets': [
    NAME,
    col('Desired', (o) => n((o as ReplicaSet).spec.replicas), 'integer'),
    col('Current', (o) => n((o as ReplicaSet).status?.replicas), 'integer'),
    col('Ready', (o) => n((o as ReplicaSet).status?.readyReplicas), 'integer'),
    AGE,
  ],
  'apps/statefulsets': [
    NAME,
    col(
      'Ready',
      (o) => `${n((o as StatefulSet).status?.readyReplicas)}/${n((o as StatefulSet).spec.replicas)}`,
    ),
    AGE,
  ],
  'apps/daemonsets': [
    NAME,
    col('Desired', (o) => n((o as DaemonSet).status?.desiredNumberScheduled), 'integer'),
    col('Current', (o) => n((o as DaemonSet).status?.currentNumberScheduled), 'integer'),
    col('Ready', (o) => n((o as DaemonSet).status?.numberReady), 'integer'),
    col('Up-to-date', (o) => n((o as DaemonSet).status?.updatedNumberScheduled), 'integer'),
    col('Available', (o) => n((o as DaemonSet).status?.numberAvailable), 'integer'),
    col('Node Selector', (o) => selectorText((o as DaemonSet).spec.template?.spec?.nodeSelector)),
    AGE,
  ],
  'batch/jobs': [
    NAME,
    col('Status', (o) => jobStatus(o as Job)),
    col('Completions', (o) => {
      const j = o as Job;
      return j.spec.completions === undefined
        ? `${n(j.status?.succeeded)}/1 of ${n(j.spec.parallelism)}`
        : `${n(j.status?.succeeded)}/${j.spec.completions}`;
    }),
    col('Duration', (o, now) => {
      const j = o as Job;
      if (!j.status?.startTime) return '';
      const end = j.status.completionTime ? Date.parse(j.status.completionTime) : now;
      return humanDuration((end - Date.parse(j.status.startTime)) / 1000);
    }),
    AGE,
  ],
  'batch/cronjobs': [
    NAME,
    col('Schedule', (o) => (o as CronJob).spec.schedule),
    col('Timezone', (o) => (o as CronJob).spec.timeZone ?? '<none>'),
    col('Suspend', (o) => String((o as CronJob).spec.suspend ?? false)),
    col('Active', (o) => (o as CronJob).status?.active?.length ?? 0, 'integer'),
    col('Last Schedule', (o, now) => {
      const t = (o as CronJob).status?.lastScheduleTime;
      return t ? age(t, now) : '<none>';
    }),
    AGE,
  ],
  'autoscaling/horizontalpodautoscalers': [
    NAME,
    col('Reference', (o) => {
      const r = (o as HorizontalPodAutoscaler).spec.scaleTargetRef;
      return `${r.kind}/${r.name}`;
    }),
    col('Targets', (o) => hpaTargets(o as HorizontalPodAutoscaler)),
    col('MinPods', (o) => (o as HorizontalPodAutoscaler).spec.minReplicas ?? 1, 'integer'),
    col('MaxPods', (o) => (o as HorizontalPodAutoscaler).spec.maxReplicas, 'integer'),
    col('Replicas', (o) => n((o as HorizontalPodAutoscaler).status?.currentReplicas), 'integer'),
    AGE,
  ],
  'coordination.k8s.io/leases': [NAME, col('Holder', (o) => (o as Lease).spec?.holderIdentity ?? ''), AGE],
  'scheduling.k8s.io/priorityclasses': [
    NAME,
    col('Value', (o) => (o as PriorityClass).value, 'integer'),
    col('Global-Default', (o) => (o as PriorityClass).globalDefault === true, 'boolean'),
    AGE,
    col('PreemptionPolicy', (o) => (o as PriorityClass).preemptionPolicy ?? 'PreemptLowerPriority'),
  ],
  'networking.k8s.io/ingressclasses': [
    NAME,
    col('Controller', (o) => (o as IngressClass).spec?.controller ?? ''),
    col('Parameters', (o) => {
      const p = (o as IngressClass).spec?.parameters;
      return p ? `${p.kind}/${p.name}` : '<none>';
    }),
    AGE,
  ],
  'networking.k8s.io/ingresses': [
    NAME,
    col('Class', (o) => (o as Ingress).spec?.ingressClassName ?? '<none>'),
    col('Hosts', (o) => {
      const hosts = ((o as Ingress).spec?.rules ?? []).map((r) => r.host ?? '*');
      return hosts.length > 0 ? hosts.join(',') : '*';
    }),
    col('Address', (o) =>
      ((o as Ingress).status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').join(','),
    ),
    col('Ports', (o) => ((o as Ingress).spec?.tls?.length ? '80, 443' : '80')),
    AGE,
  ],
};

/** Kind-less fallback: what a server shows for kinds without a custom Table. */
export const DEFAULT_COLUMNS: readonly Column[] = [NAME, AGE];

function accessModes(modes: string[] | undefined): string {
  const short: Record<string, string> = {
    ReadWriteOnce: 'RWO',
    ReadOnlyMany: 'ROX',
    ReadWriteMany: 'RWX',
    ReadWriteOncePod: 'RWOP',
  };
  return (modes ?? []).map((m) => short[m] ?? m).join(',');
}

function jobStatus(j: Job): string {
  const conds = j.status?.conditions ?? [];
  const is = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
  if (is('Complete')) return 'Complete';
  if (is('Failed')) return 'Failed';
  if (j.metadata.deletionTimestamp) return 'Terminating';
  if (is('Suspended')) return 'Suspended';
  return 'Running';
}

function hpaTargets(h: HorizontalPodAutoscaler): string {
  const specs = h.spec.metrics ?? [];
  if (specs.length === 0) return '<none>';
  return specs
    .map((m, i) => {
      const cur = h.status?.currentMetrics?.[i]?.resource?.current;
      const t = m.resource?.target;
      if (t?.type === 'Utilization')
        return `${m.resource?.name}: ${cur?.averageUtilization ?? '<unknown>'}${cur?.averageUtilization === undefined ? '' : '%'}/${t.averageUtilization}%`;
      return `${cur?.averageValue ?? '<unknown>'}/${t?.averageValue ?? t?.value ?? ''}`;
    })
    .join(', ');
}
