/**
 * Endpoints from a Service's selector and its pods: ready pods are `addresses`, others
 * `notReadyAddresses` (all ready with publishNotReadyAddresses); each service port resolves its
 * targetPort by number, or by name against the pod's container ports, so pods that name a port
 * differently land in different subsets, as in Kubernetes.
 */
import type {
  EndpointAddress,
  EndpointPort,
  EndpointSubset,
  Endpoints,
  Service,
} from '../../api/types/core.ts';
import type { Pod } from '../../api/types/pod.ts';
import { jsonEqual } from '../../store/canonical-json.ts';
import { mutable, type Reconciliation } from '../runtime/actions.ts';
import { ENDPOINTS } from '../runtime/client.ts';
import { isDeleting, isPodReady, isPodTerminal } from '../runtime/objects.ts';

export interface EndpointsInput {
  /** Undefined: the Service is gone. */
  readonly service: Service | undefined;
  readonly existing: Endpoints | undefined;
  readonly pods: readonly Pod[];
  readonly namespace: string;
  readonly name: string;
}

export function selectsPod(service: Service, pod: Pod): boolean {
  const sel = service.spec.selector;
  if (sel === undefined || Object.keys(sel).length === 0) return false;
  const labels = pod.metadata.labels ?? {};
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

function resolvePort(pod: Pod, target: number | string, protocol: string): number | undefined {
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec.containers)
    for (const p of c.ports ?? [])
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  return undefined;
}

/** The subsets, packed: addresses sharing one port list form one subset; sorted for stable output. */
export function endpointSubsets(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  const groups = new Map<
    string,
    { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }
  >();
  const publishNotReady = service.spec.publishNotReadyAddresses === true;
  for (const pod of pods) {
    if (!selectsPod(service, pod) || isPodTerminal(pod)) continue;
    const ip = pod.status?.podIP ?? '';
    if (ip === '' || (isDeleting(pod) && !publishNotReady)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of service.spec.ports ?? []) {
      const protocol = sp.protocol ?? 'TCP';
      const port = resolvePort(pod, sp.targetPort ?? sp.port, protocol);
      if (port === undefined) continue;
      ports.push(
        sp.name !== undefined && sp.name !== '' ? { name: sp.name, port, protocol } : { port, protocol },
      );
    }
    if ((service.spec.ports ?? []).length > 0 && ports.length === 0) continue;
    const address: EndpointAddress = {
      ip,
      targetRef: {
        kind: 'Pod',
        namespace: pod.metadata.namespace ?? '',
        name: pod.metadata.name ?? '',
        uid: pod.metadata.uid ?? '',
      },
    };
    if (pod.spec.nodeName !== undefined && pod.spec.nodeName !== '') address.nodeName = pod.spec.nodeName;
    if (pod.spec.hostname !== undefined && pod.spec.subdomain === service.metadata.name)
      address.hostname = pod.spec.hostname;
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (g === undefined) {
      g = { ports, ready: [], notReady: [] };
      groups.set(key, g);
    }
    if (isPodReady(pod) || publishNotReady) g.ready.push(address);
    else g.notReady.push(address);
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress) =>
    a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : (a.targetRef?.name ?? '') < (b.targetRef?.name ?? '') ? -1 : 1;
  const subsets: EndpointSubset[] = [];
  for (const [key, g] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    void key;
    const s: EndpointSubset = {};
    if (g.ready.length > 0) s.addresses = g.ready.sort(byIp);
    if (g.notReady.length > 0) s.notReadyAddresses = g.notReady.sort(byIp);
    if (g.ports.length > 0) s.ports = g.ports;
    subsets.push(s);
  }
  return subsets;
}

export function reconcileEndpoints(input: EndpointsInput): Reconciliation {
  const { service, existing } = input;
  if (service === undefined) {
    if (existing === undefined) return { actions: [] };
    return {
      actions: [
        {
          kind: 'delete',
          ref: ENDPOINTS,
          namespace: input.namespace,
          name: input.name,
          preconditions: { uid: existing.metadata.uid ?? '' },
        },
      ],
    };
  }
  // No selector: the user manages this Service's Endpoints by hand.
  if (service.spec.selector === undefined || Object.keys(service.spec.selector).length === 0)
    return { actions: [] };
  const subsets = endpointSubsets(service, input.pods);
  const labels = { ...service.metadata.labels };
  if (existing === undefined) {
    const ep: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: input.name,
        namespace: input.namespace,
        ...(Object.keys(labels).length > 0 ? { labels } : {}),
      },
      subsets,
    };
    return { actions: [{ kind: 'create', ref: ENDPOINTS, object: ep }] };
  }
  const sameLabels = jsonEqual(existing.metadata.labels ?? {}, labels);
  if (sameLabels && jsonEqual(existing.subsets ?? [], subsets)) return { actions: [] };
  const next = mutable(existing);
  next.subsets = subsets;
  if (Object.keys(labels).length > 0) next.metadata.labels = labels;
  else delete next.metadata.labels;
  return { actions: [{ kind: 'update', ref: ENDPOINTS, object: next }] };
}
