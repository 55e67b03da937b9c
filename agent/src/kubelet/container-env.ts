/**
 * A container's environment as Kubernetes builds it: envFrom first (ConfigMaps and Secrets, with a
 * prefix), then env in order, where `valueFrom` reads a ConfigMap or Secret key, a field of the pod
 * or a resource limit, and `$(NAME)` expands variables defined before it. A missing object or key
 * that is not optional is a CreateContainerConfigError with Kubernetes' words.
 */
import { StatusError } from '../api/errors.ts';
import { quantityMilliValue, quantityValue } from '../api/quantity.ts';
import type { ConfigMap, Secret } from '../api/types/core.ts';
import type { Container, Pod } from '../api/types/pod.ts';
import type { Result } from './node-client.ts';
import type { ContainerProblem } from './pod-status.ts';

/** Reads the objects a container refers to; the kubelet passes the NodeClient's getters. */
export interface ObjectLookup {
  configMap(namespace: string, name: string): Promise<Result<ConfigMap>>;
  secret(namespace: string, name: string): Promise<Result<Secret>>;
}

export interface PodFacts {
  readonly podIP: string | undefined;
  readonly hostIP: string;
  /** Variables every container gets first (KUBERNETES_SERVICE_HOST/PORT). */
  readonly clusterEnv: Readonly<Record<string, string>>;
}

export type EnvResult = { readonly env: Record<string, string> } | { readonly problem: ContainerProblem };

const configError = (message: string): EnvResult => ({
  problem: { reason: 'CreateContainerConfigError', message },
});

/** A Secret's values: `data` is base64 (as on the wire); `stringData` is taken as is. */
export function secretValues(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
  return out;
}

export function configMapValues(cm: ConfigMap): Record<string, string> {
  const out: Record<string, string> = { ...cm.data };
  for (const [k, v] of Object.entries(cm.binaryData ?? {}))
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

/** `$(VAR)` from the variables so far; `$$` escapes; an unknown reference stays as written. */
export function expandVariables(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(vars, name) ? (vars[name] ?? '') : match;
  });
}

/** The value of a fieldRef (Kubernetes' downward API for env). */
export function fieldValue(pod: Pod, path: string, facts: PodFacts): string | undefined {
  const m = pod.metadata;
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return (keyed[1] === 'labels' ? m.labels : m.annotations)?.[keyed[2] ?? ''] ?? '';
  switch (path) {
    case 'metadata.name':
      return m.name;
    case 'metadata.namespace':
      return m.namespace;
    case 'metadata.uid':
      return m.uid;
    case 'spec.nodeName':
      return pod.spec.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
    default:
      return undefined;
  }
}

function resourceValue(c: Container, resource: string, divisor: string | undefined): string | undefined {
  const [kind, name] = resource.split('.');
  const list =
    kind === 'limits' ? c.resources?.limits : kind === 'requests' ? c.resources?.requests : undefined;
  const q = name === undefined ? undefined : list?.[name];
  if (q === undefined) return name === 'cpu' || name === 'memory' ? '0' : undefined;
  if (name === 'cpu') {
    const milli = Number(quantityMilliValue(q));
    const div = divisor ? Number(quantityMilliValue(divisor)) : 1000;
    return String(Math.ceil(milli / div));
  }
  const div = divisor ? Number(quantityValue(divisor)) : 1;
  return String(Math.ceil(Number(quantityValue(q)) / div));
}

async function fetchValues(
  lookup: ObjectLookup,
  kind: 'configmap' | 'secret',
  namespace: string,
  name: string,
  cache: Map<string, Record<string, string> | StatusError>,
): Promise<Record<string, string> | StatusError> {
  const key = `${kind}/${name}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const got =
    kind === 'configmap' ? await lookup.configMap(namespace, name) : await lookup.secret(namespace, name);
  const values =
    got instanceof StatusError
      ? got
      : kind === 'configmap'
        ? configMapValues(got as ConfigMap)
        : secretValues(got as Secret);
  cache.set(key, values);
  return values;
}

/** The container's environment, or why it cannot be built. */
export async function containerEnv(
  pod: Pod,
  c: Container,
  facts: PodFacts,
  lookup: ObjectLookup,
): Promise<EnvResult> {
  const ns = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = { ...facts.clusterEnv };
  const cache = new Map<string, Record<string, string> | StatusError>();

  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'configmap' : 'secret';
    if (ref?.name === undefined) continue;
    const values = await fetchValues(lookup, kind, ns, ref.name, cache);
    if (values instanceof StatusError) {
      if (ref.optional && values.reason === 'NotFound') continue;
      return configError(
        `${kind} "${ref.name}" not found: create it in namespace ${ns}, or mark the envFrom optional`,
      );
    }
    for (const [k, v] of Object.entries(values)) env[`${from.prefix ?? ''}${k}`] = v;
  }

  for (const e of c.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = expandVariables(e.value ?? '', env);
      continue;
    }
    const src = e.valueFrom;
    if (src.fieldRef) {
      const v = fieldValue(pod, src.fieldRef.fieldPath, facts);
      if (v === undefined)
        return configError(`env ${e.name}: unsupported fieldRef ${src.fieldRef.fieldPath}`);
      env[e.name] = v;
      continue;
    }
    if (src.resourceFieldRef) {
      const target = src.resourceFieldRef.containerName
        ? [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find(
            (x) => x.name === src.resourceFieldRef?.containerName,
          )
        : c;
      const v = target
        ? resourceValue(target, src.resourceFieldRef.resource, src.resourceFieldRef.divisor)
        : undefined;
      if (v === undefined)
        return configError(`env ${e.name}: unsupported resourceFieldRef ${src.resourceFieldRef.resource}`);
      env[e.name] = v;
      continue;
    }
    const keyRef = src.configMapKeyRef ?? src.secretKeyRef;
    const kind = src.configMapKeyRef ? 'configmap' : 'secret';
    if (keyRef?.name === undefined) return configError(`env ${e.name}: valueFrom names no source`);
    const values = await fetchValues(lookup, kind, ns, keyRef.name, cache);
    if (values instanceof StatusError) {
      if (keyRef.optional && values.reason === 'NotFound') continue;
      return configError(`${kind} "${keyRef.name}" not found (env ${e.name}): create it in namespace ${ns}`);
    }
    const v = values[keyRef.key];
    if (v === undefined) {
      if (keyRef.optional) continue;
      return configError(`couldn't find key ${keyRef.key} in ${kind} ${ns}/${keyRef.name} (env ${e.name})`);
    }
    env[e.name] = v;
  }
  return { env };
}
