/**
 * The resources kedge serves, with the facts discovery, routing, kubectl and the store need:
 * group/version/kind, plural and short names, scope, subresources and selectable fields.
 */

export type Subresource = 'status' | 'scale';

export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly listKind: string;
  /** The plural, lower-case resource name used in URLs: `deployments`. */
  readonly resource: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  readonly subresources: readonly Subresource[];
  readonly categories: readonly string[];
  readonly verbs: readonly string[];
  /** Fields accepted in ?fieldSelector= besides metadata.name and metadata.namespace. */
  readonly fieldSelectors: readonly string[];
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

interface Spec {
  group?: string;
  version?: string;
  kind: string;
  resource: string;
  shortNames?: string[];
  namespaced?: boolean;
  subresources?: Subresource[];
  all?: boolean;
  fieldSelectors?: string[];
}

function info(s: Spec): ResourceInfo {
  return {
    group: s.group ?? '',
    version: s.version ?? 'v1',
    kind: s.kind,
    listKind: `${s.kind}List`,
    resource: s.resource,
    singular: s.kind.toLowerCase(),
    shortNames: s.shortNames ?? [],
    namespaced: s.namespaced ?? true,
    subresources: s.subresources ?? [],
    categories: s.all === true ? ['all'] : [],
    verbs: VERBS,
    fieldSelectors: s.fieldSelectors ?? [],
  };
}

export const RESOURCES: readonly ResourceInfo[] = [
  info({
    kind: 'Namespace',
    resource: 'namespaces',
    shortNames: ['ns'],
    namespaced: false,
    subresources: ['status'],
    fieldSelectors: ['status.phase'],
  }),
  info({
    kind: 'Pod',
    resource: 'pods',
    shortNames: ['po'],
    subresources: ['status'],
    all: true,
    fieldSelectors: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  }),
  info({ kind: 'Service', resource: 'services', shortNames: ['svc'], subresources: ['status'], all: true }),
  info({ kind: 'Endpoints', resource: 'endpoints', shortNames: ['ep'] }),
  info({ kind: 'ConfigMap', resource: 'configmaps', shortNames: ['cm'] }),
  info({ kind: 'Secret', resource: 'secrets', fieldSelectors: ['type'] }),
  info({
    kind: 'Node',
    resource: 'nodes',
    shortNames: ['no'],
    namespaced: false,
    subresources: ['status'],
    fieldSelectors: ['spec.unschedulable'],
  }),
  info({
    kind: 'Event',
    resource: 'events',
    shortNames: ['ev'],
    fieldSelectors: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'type',
    ],
  }),
  info({
    kind: 'PersistentVolumeClaim',
    resource: 'persistentvolumeclaims',
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  info({
    kind: 'PersistentVolume',
    resource: 'persistentvolumes',
    shortNames: ['pv'],
    namespaced: false,
    subresources: ['status'],
  }),
  info({ kind: 'ServiceAccount', resource: 'serviceaccounts', shortNames: ['sa'] }),
  info({
    group: 'apps',
    kind: 'Deployment',
    resource: 'deployments',
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    all: true,
  }),
  info({
    group: 'apps',
    kind: 'ReplicaSet',
    resource: 'replicasets',
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    all: true,
    fieldSelectors: ['status.replicas'],
  }),
  info({
    group: 'apps',
    kind: 'StatefulSet',
    resource: 'statefulsets',
    shortNames: ['sts'],
    subresources: ['status', 'scale'],
    all: true,
  }),
  info({
    group: 'apps',
    kind: 'DaemonSet',
    resource: 'daemonsets',
    shortNames: ['ds'],
    subresources: ['status'],
    all: true,
  }),
  info({ group: 'apps', kind: 'ControllerRevision', resource: 'controllerrevisions' }),
  info({
    group: 'batch',
    kind: 'Job',
    resource: 'jobs',
    subresources: ['status'],
    all: true,
    fieldSelectors: ['status.successful'],
  }),
  info({
    group: 'batch',
    kind: 'CronJob',
    resource: 'cronjobs',
    shortNames: ['cj'],
    subresources: ['status'],
    all: true,
  }),
  info({
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    resource: 'horizontalpodautoscalers',
    shortNames: ['hpa'],
    subresources: ['status'],
    all: true,
  }),
  info({ group: 'coordination.k8s.io', kind: 'Lease', resource: 'leases' }),
  info({
    group: 'scheduling.k8s.io',
    kind: 'PriorityClass',
    resource: 'priorityclasses',
    shortNames: ['pc'],
    namespaced: false,
  }),
  info({
    group: 'networking.k8s.io',
    kind: 'IngressClass',
    resource: 'ingressclasses',
    namespaced: false,
  }),
  info({
    group: 'networking.k8s.io',
    kind: 'Ingress',
    resource: 'ingresses',
    shortNames: ['ing'],
    subresources: ['status'],
  }),
];

const byGroupResource = new Map(RESOURCES.map((r) => [`${r.group}/${r.resource}`, r]));
const byGroupKind = new Map(RESOURCES.map((r) => [`${r.group}/${r.kind}`, r]));

/** `v1` for the core group, `apps/v1` otherwise. */
export const apiVersionOf = (r: { group: string; version: string }): string =>
  r.group === '' ? r.version : `${r.group}/${r.version}`;

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The resource served at /api(s)/<group>/<version>/<resource>. */
export function findResource(group: string, resource: string): ResourceInfo | undefined {
  return byGroupResource.get(`${group}/${resource}`);
}

/** The resource that stores objects of this apiVersion and kind. */
export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  const r = byGroupKind.get(`${group}/${kind}`);
  return r !== undefined && r.version === version ? r : undefined;
}

/**
 * Resolves what a user types (`po`, `pod`, `pods`, `deploy`, `deployments.apps`, `Deployment`) to a
 * resource, as kubectl does from discovery.
 */
export function resolveResource(name: string): ResourceInfo | undefined {
  const lower = name.toLowerCase();
  const dot = lower.indexOf('.');
  const base = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  return RESOURCES.find(
    (r) =>
      (group === undefined || r.group === group) &&
      (r.resource === base || r.singular === base || r.shortNames.includes(base)),
  );
}

/** Group versions in discovery order: core first, then named groups. */
export function groupVersions(): { group: string; version: string; resources: ResourceInfo[] }[] {
  const out = new Map<string, { group: string; version: string; resources: ResourceInfo[] }>();
  for (const r of RESOURCES) {
    const key = apiVersionOf(r);
    const entry = out.get(key) ?? { group: r.group, version: r.version, resources: [] };
    entry.resources.push(r);
    out.set(key, entry);
  }
  return [...out.values()];
}

export const hasSubresource = (r: ResourceInfo, s: Subresource): boolean => r.subresources.includes(s);
