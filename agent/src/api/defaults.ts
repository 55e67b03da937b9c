/**
 * Server-side defaulting per kind, as Kubernetes' SetDefaults_* and create strategies do. kubectl
 * depends on several of these (rollout status needs the strategies; apply diffs against them).
 * Defaulting mutates the object it is given: pass a copy. `prepareForCreate` adds what only a create
 * sets (pod phase and QoS class, namespace label, job selector from the uid).
 */
import { compareQuantities, tryParseQuantity } from './quantity.ts';
import type { KubeObject } from './types/meta.ts';
import type { Container, Pod, PodSpec, PodTemplateSpec, Probe } from './types/pod.ts';

type Loose = Record<string, unknown>;
const obj = (x: unknown): Loose => (typeof x === 'object' && x !== null ? (x as Loose) : {});
function setDefault(o: object, k: string, v: unknown): void {
  const r = o as Loose;
  if (r[k] === undefined || r[k] === null) r[k] = v;
}
function child(o: Loose, k: string): Loose {
  if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
  return o[k] as Loose;
}

/** `Always` for `:latest` or untagged images, `IfNotPresent` otherwise (digests included). */
export function defaultPullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  if (image === undefined || image === '') return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tagAt = image.indexOf(':', lastSlash + 1);
  if (tagAt < 0) return 'Always';
  return image.slice(tagAt + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: Probe | undefined): void {
  if (p === undefined) return;
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  if (p.httpGet !== undefined) {
    setDefault(p.httpGet, 'path', '/');
    setDefault(p.httpGet, 'scheme', 'HTTP');
  }
}

function defaultContainer(c: Container): void {
  setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  for (const p of c.ports ?? []) setDefault(p, 'protocol', 'TCP');
  for (const e of c.env ?? [])
    if (e.valueFrom?.fieldRef) setDefault(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  // Limits without requests: requests default to the limits (what makes a pod Guaranteed).
  const r = c.resources;
  if (r?.limits !== undefined) {
    r.requests ??= {};
    for (const [k, v] of Object.entries(r.limits)) if (r.requests[k] === undefined) r.requests[k] = v;
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

export function defaultPodSpec(spec: PodSpec): void {
  const s = spec as unknown as Loose;
  setDefault(s, 'restartPolicy', 'Always');
  setDefault(s, 'dnsPolicy', 'ClusterFirst');
  setDefault(s, 'terminationGracePeriodSeconds', 30);
  setDefault(s, 'schedulerName', 'default-scheduler');
  setDefault(s, 'securityContext', {});
  setDefault(s, 'enableServiceLinks', true);
  if (spec.serviceAccount !== undefined && spec.serviceAccountName === undefined)
    spec.serviceAccountName = spec.serviceAccount;
  setDefault(s, 'serviceAccountName', 'default');
  spec.serviceAccount = spec.serviceAccountName;
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    if (v.configMap !== undefined) setDefault(v.configMap, 'defaultMode', 0o644);
    if (v.secret !== undefined) setDefault(v.secret, 'defaultMode', 0o644);
    if (v.hostPath !== undefined) setDefault(v.hostPath, 'type', '');
  }
  for (const t of spec.tolerations ?? []) if (t.operator === undefined) t.operator = 'Equal';
}

function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (t?.spec !== undefined) defaultPodSpec(t.spec);
}

/** Guaranteed when every container has equal cpu and memory requests and limits; BestEffort with none. */
export function podQOSClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const k of ['cpu', 'memory']) {
      const r = req[k];
      const l = lim[k];
      if (
        (r !== undefined && tryParseQuantity(r)?.mantissa !== 0n) ||
        (l !== undefined && tryParseQuantity(l)?.mantissa !== 0n)
      )
        any = true;
      if (l === undefined || tryParseQuantity(l) === undefined) guaranteed = false;
      else if (r !== undefined && tryParseQuantity(r) !== undefined && compareQuantities(r, l) !== 0)
        guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const PERCENT_25 = '25%';

/** Applies Kubernetes' defaults for the object's resource (given as `group/resource`, e.g. `apps/deployments`). */
export function applyDefaults(resource: string, o: KubeObject): void {
  const x = o as unknown as Loose;
  const spec = obj(x.spec);
  switch (resource) {
    case '/pods':
      if (x.spec !== undefined) defaultPodSpec(x.spec as PodSpec);
      return;
    case '/services': {
      const s = child(x, 'spec');
      setDefault(s, 'type', 'ClusterIP');
      setDefault(s, 'sessionAffinity', 'None');
      setDefault(s, 'internalTrafficPolicy', 'Cluster');
      if (s.type === 'NodePort' || s.type === 'LoadBalancer')
        setDefault(s, 'externalTrafficPolicy', 'Cluster');
      if (s.type !== 'ExternalName') setDefault(s, 'ipFamilyPolicy', 'SingleStack');
      for (const p of (s.ports as Loose[] | undefined) ?? []) {
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p.port);
      }
      return;
    }
    case '/endpoints':
      for (const sub of (x.subsets as Loose[] | undefined) ?? [])
        for (const p of (sub.ports as Loose[] | undefined) ?? []) setDefault(p, 'protocol', 'TCP');
      return;
    case '/secrets':
      setDefault(x, 'type', 'Opaque');
      return;
    case '/namespaces':
      setDefault(child(x, 'spec'), 'finalizers', ['kubernetes']);
      return;
    case '/persistentvolumeclaims':
      setDefault(child(x, 'spec'), 'volumeMode', 'Filesystem');
      return;
    case '/persistentvolumes':
      setDefault(child(x, 'spec'), 'persistentVolumeReclaimPolicy', 'Retain');
      setDefault(child(x, 'spec'), 'volumeMode', 'Filesystem');
      return;
    case 'apps/deployments': {
      setDefault(spec, 'replicas', 1);
      const strategy = child(spec, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const ru = child(strategy, 'rollingUpdate');
        setDefault(ru, 'maxUnavailable', PERCENT_25);
        setDefault(ru, 'maxSurge', PERCENT_25);
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      defaultTemplate(spec.template as PodTemplateSpec | undefined);
      return;
    }
    case 'apps/replicasets':
      setDefault(spec, 'replicas', 1);
      defaultTemplate(spec.template as PodTemplateSpec | undefined);
      return;
    case 'apps/statefulsets': {
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'podManagementPolicy', 'OrderedReady');
      const us = child(spec, 'updateStrategy');
      setDefault(us, 'type', 'RollingUpdate');
      if (us.type === 'RollingUpdate') setDefault(child(us, 'rollingUpdate'), 'partition', 0);
      setDefault(spec, 'revisionHistoryLimit', 10);
      const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
      setDefault(retention, 'whenDeleted', 'Retain');
      setDefault(retention, 'whenScaled', 'Retain');
      defaultTemplate(spec.template as PodTemplateSpec | undefined);
      return;
    }
    case 'apps/daemonsets': {
      const us = child(spec, 'updateStrategy');
      setDefault(us, 'type', 'RollingUpdate');
      if (us.type === 'RollingUpdate') {
        const ru = child(us, 'rollingUpdate');
        setDefault(ru, 'maxUnavailable', 1);
        setDefault(ru, 'maxSurge', 0);
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      defaultTemplate(spec.template as PodTemplateSpec | undefined);
      return;
    }
    case 'batch/jobs':
      defaultJobSpec(spec);
      return;
    case 'batch/cronjobs': {
      setDefault(spec, 'concurrencyPolicy', 'Allow');
      setDefault(spec, 'suspend', false);
      setDefault(spec, 'successfulJobsHistoryLimit', 3);
      setDefault(spec, 'failedJobsHistoryLimit', 1);
      defaultJobSpec(child(child(spec, 'jobTemplate'), 'spec'));
      return;
    }
    case 'autoscaling/horizontalpodautoscalers':
      setDefault(spec, 'minReplicas', 1);
      if (!Array.isArray(spec.metrics) || spec.metrics.length === 0)
        spec.metrics = [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
        ];
      return;
    case 'scheduling.k8s.io/priorityclasses':
      setDefault(x, 'preemptionPolicy', 'PreemptLowerPriority');
      return;
  }
}

function defaultJobSpec(spec: Loose): void {
  // Kubernetes: with neither set both are 1; parallelism alone leaves completions unset (work queue).
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  defaultTemplate(spec.template as PodTemplateSpec | undefined);
}

/** What only a create sets, given the uid the API server assigned (after applyDefaults). */
export function prepareForCreate(resource: string, o: KubeObject, uid: string): void {
  const x = o as unknown as Loose;
  switch (resource) {
    case '/pods': {
      const pod = o as Pod;
      pod.status = { phase: 'Pending', qosClass: podQOSClass(pod.spec) };
      return;
    }
    case '/namespaces':
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name ?? '' };
      x.status = { phase: 'Active' };
      return;
    case '/persistentvolumeclaims':
    case '/persistentvolumes':
      x.status = { phase: 'Pending' };
      return;
    case 'batch/jobs': {
      // Unless the user manages the selector, a Job selects its own pods by its uid.
      const spec = child(x, 'spec');
      if (spec.manualSelector === true) return;
      const labels = { 'batch.kubernetes.io/controller-uid': uid, 'controller-uid': uid };
      const name = o.metadata.name ?? '';
      spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      const meta = child(child(spec, 'template'), 'metadata');
      meta.labels = {
        ...obj(meta.labels),
        ...labels,
        'batch.kubernetes.io/job-name': name,
        'job-name': name,
      };
      return;
    }
  }
}
