/** PodSpec validation (also run on every workload's pod template). */
import {
  duplicate,
  type FieldError,
  type FieldPath,
  forbidden,
  invalid,
  notFoundValue,
  required,
} from '../field-errors.ts';
import { compareQuantities, tryParseQuantity } from '../quantity.ts';
import type { Affinity, Container, HTTPGetAction, PodSpec, Probe, Toleration, Volume } from '../types/pod.ts';
import {
  validateEnum,
  validateLabelSelector,
  validateLabels,
  validateNonNegative,
  validatePortNumber,
  validatePositive,
  validateQuantity,
} from './meta.ts';
import {
  configMapKey,
  dns1123Label,
  dns1123Subdomain,
  envVarName,
  portName,
  qualifiedName,
} from './names.ts';
import { validatePreemptionPolicy, validateTopologySpreadConstraints } from './topology-spread.ts';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export function validatePodSpec(
  spec: PodSpec | undefined,
  path: FieldPath,
  /** Volumes a controller adds (a StatefulSet's claim templates): mounts may name them. */
  extraVolumes: ReadonlySet<string> = new Set(),
): FieldError[] {
  if (spec === undefined || spec === null || typeof spec !== 'object') return [required(path)];
  const errs: FieldError[] = [];
  const volumes = validateVolumes(spec.volumes, path.child('volumes'), errs);
  for (const name of extraVolumes) volumes.add(name);
  const names = new Set<string>();
  if (!Array.isArray(spec.containers) || spec.containers.length === 0)
    errs.push(required(path.child('containers')));
  for (const [i, c] of (spec.initContainers ?? []).entries())
    validateContainer(c, path.child('initContainers').index(i), volumes, names, errs, true);
  for (const [i, c] of (spec.containers ?? []).entries())
    validateContainer(c, path.child('containers').index(i), volumes, names, errs, false);
  errs.push(...validateEnum(spec.restartPolicy, RESTART_POLICIES, path.child('restartPolicy')));
  errs.push(...validateEnum(spec.dnsPolicy, DNS_POLICIES, path.child('dnsPolicy')));
  errs.push(
    ...validateNonNegative(spec.terminationGracePeriodSeconds, path.child('terminationGracePeriodSeconds')),
  );
  errs.push(...validatePositive(spec.activeDeadlineSeconds, path.child('activeDeadlineSeconds')));
  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  for (const [field, v] of [
    ['serviceAccountName', spec.serviceAccountName],
    ['nodeName', spec.nodeName],
  ] as const)
    if (v !== undefined && v !== '')
      for (const m of dns1123Subdomain(v)) errs.push(invalid(path.child(field), v, m));
  for (const [i, t] of (spec.tolerations ?? []).entries())
    validateToleration(t, path.child('tolerations').index(i), errs);
  if (spec.affinity !== undefined) validateAffinity(spec.affinity, path.child('affinity'), errs);
  errs.push(...validatePreemptionPolicy(spec.preemptionPolicy, path.child('preemptionPolicy')));
  errs.push(
    ...validateTopologySpreadConstraints(
      spec.topologySpreadConstraints,
      path.child('topologySpreadConstraints'),
    ),
  );
  return errs;
}

function validateVolumes(volumes: Volume[] | undefined, path: FieldPath, errs: FieldError[]): Set<string> {
  const names = new Set<string>();
  for (const [i, v] of (volumes ?? []).entries()) {
    const p = path.index(i);
    if (!v.name) errs.push(required(p.child('name')));
    else {
      for (const m of dns1123Label(v.name)) errs.push(invalid(p.child('name'), v.name, m));
      if (names.has(v.name)) errs.push(duplicate(p.child('name'), v.name));
      names.add(v.name);
    }
    const sources = (
      ['emptyDir', 'hostPath', 'configMap', 'secret', 'persistentVolumeClaim'] as const
    ).filter((k) => v[k] !== undefined);
    if (sources.length === 0) errs.push(required(p, 'must specify a volume type'));
    else if (sources.length > 1)
      errs.push(forbidden(p.child(sources[1] ?? ''), 'may not specify more than 1 volume type'));
    if (v.hostPath !== undefined && !v.hostPath.path) errs.push(required(p.child('hostPath', 'path')));
    if (v.configMap !== undefined && !v.configMap.name) errs.push(required(p.child('configMap', 'name')));
    if (v.secret !== undefined && !v.secret.secretName) errs.push(required(p.child('secret', 'secretName')));
    if (v.persistentVolumeClaim !== undefined && !v.persistentVolumeClaim.claimName)
      errs.push(required(p.child('persistentVolumeClaim', 'claimName')));
    if (v.emptyDir?.sizeLimit !== undefined)
      errs.push(...validateQuantity(v.emptyDir.sizeLimit, p.child('emptyDir', 'sizeLimit')));
  }
  return names;
}

function validateContainer(
  c: Container,
  p: FieldPath,
  volumes: Set<string>,
  names: Set<string>,
  errs: FieldError[],
  init: boolean,
): void {
  if (typeof c !== 'object' || c === null) {
    errs.push(invalid(p, c, 'must be an object'));
    return;
  }
  if (!c.name) errs.push(required(p.child('name')));
  else {
    for (const m of dns1123Label(c.name)) errs.push(invalid(p.child('name'), c.name, m));
    if (names.has(c.name)) errs.push(duplicate(p.child('name'), c.name));
    names.add(c.name);
  }
  if (!c.image || c.image.trim() === '') errs.push(required(p.child('image')));
  errs.push(...validateEnum(c.imagePullPolicy, PULL_POLICIES, p.child('imagePullPolicy')));
  const portNames = new Set<string>();
  for (const [i, port] of (c.ports ?? []).entries()) {
    const pp = p.child('ports').index(i);
    errs.push(...validatePortNumber(port.containerPort, pp.child('containerPort')));
    if (port.hostPort !== undefined && port.hostPort !== 0)
      errs.push(...validatePortNumber(port.hostPort, pp.child('hostPort')));
    errs.push(...validateEnum(port.protocol, PROTOCOLS, pp.child('protocol')));
    if (port.name !== undefined && port.name !== '') {
      for (const m of portName(port.name)) errs.push(invalid(pp.child('name'), port.name, m));
      if (portNames.has(port.name)) errs.push(duplicate(pp.child('name'), port.name));
      portNames.add(port.name);
    }
  }
  for (const [i, e] of (c.env ?? []).entries()) {
    const ep = p.child('env').index(i);
    if (!e.name) errs.push(required(ep.child('name')));
    else for (const m of envVarName(e.name)) errs.push(invalid(ep.child('name'), e.name, m));
    if (e.valueFrom !== undefined) {
      const vf = e.valueFrom;
      const kinds = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter(
        (k) => vf[k] !== undefined,
      );
      if (kinds.length !== 1)
        errs.push(invalid(ep.child('valueFrom'), '', 'may not have more than one field specified at a time'));
      if ((e.value ?? '') !== '')
        errs.push(invalid(ep.child('valueFrom'), '', 'may not be specified when `value` is not empty'));
      for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
        const ref = vf[k];
        if (ref === undefined) continue;
        if (!ref.name) errs.push(required(ep.child('valueFrom', k, 'name')));
        if (!ref.key) errs.push(required(ep.child('valueFrom', k, 'key')));
        else
          for (const m of configMapKey(ref.key))
            errs.push(invalid(ep.child('valueFrom', k, 'key'), ref.key, m));
      }
      if (vf.fieldRef !== undefined && !vf.fieldRef.fieldPath)
        errs.push(required(ep.child('valueFrom', 'fieldRef', 'fieldPath')));
      if (vf.resourceFieldRef !== undefined && !vf.resourceFieldRef.resource)
        errs.push(required(ep.child('valueFrom', 'resourceFieldRef', 'resource')));
    }
  }
  for (const [i, ef] of (c.envFrom ?? []).entries()) {
    const n = (ef.configMapRef ? 1 : 0) + (ef.secretRef ? 1 : 0);
    if (n !== 1)
      errs.push(
        invalid(p.child('envFrom').index(i), '', 'must specify one of: `configMapRef` or `secretRef`'),
      );
  }
  validateResources(c, p.child('resources'), errs);
  const mountPaths = new Set<string>();
  for (const [i, m] of (c.volumeMounts ?? []).entries()) {
    const mp = p.child('volumeMounts').index(i);
    if (!m.name) errs.push(required(mp.child('name')));
    else if (!volumes.has(m.name)) errs.push(notFoundValue(mp.child('name'), m.name));
    if (!m.mountPath) errs.push(required(mp.child('mountPath')));
    else {
      if (mountPaths.has(m.mountPath))
        errs.push(invalid(mp.child('mountPath'), m.mountPath, 'must be unique'));
      mountPaths.add(m.mountPath);
    }
  }
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const probe = c[kind];
    if (probe === undefined) continue;
    if (init && c.restartPolicy !== 'Always') {
      errs.push(forbidden(p.child(kind), 'may not be set for init containers without restartPolicy=Always'));
      continue;
    }
    validateProbe(probe, p.child(kind), kind !== 'readinessProbe', errs);
  }
}

function validateResources(c: Container, p: FieldPath, errs: FieldError[]): void {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  for (const [k, v] of Object.entries(limits)) errs.push(...validateQuantity(v, p.child('limits').key(k)));
  for (const [k, v] of Object.entries(requests))
    errs.push(...validateQuantity(v, p.child('requests').key(k)));
  for (const [k, r] of Object.entries(requests)) {
    const l = limits[k];
    if (
      l === undefined ||
      tryParseQuantity(String(r)) === undefined ||
      tryParseQuantity(String(l)) === undefined
    )
      continue;
    if (compareQuantities(String(r), String(l)) > 0)
      errs.push(invalid(p.child('requests').key(k), r, `must be less than or equal to ${k} limit of ${l}`));
  }
}

function validateHttpGet(h: HTTPGetAction, p: FieldPath, errs: FieldError[]): void {
  validatePortRef(h.port, p.child('port'), errs);
  if (h.scheme !== undefined) errs.push(...validateEnum(h.scheme, ['HTTP', 'HTTPS'], p.child('scheme')));
}

/** A port given by number (1-65535) or by the name of a container port. */
export function validatePortRef(port: unknown, p: FieldPath, errs: FieldError[]): void {
  if (typeof port === 'string') {
    if (port === '') errs.push(required(p));
    else for (const m of portName(port)) errs.push(invalid(p, port, m));
  } else errs.push(...validatePortNumber(port, p));
}

function validateProbe(probe: Probe, p: FieldPath, successMustBeOne: boolean, errs: FieldError[]): void {
  const handlers = (['exec', 'httpGet', 'tcpSocket'] as const).filter((k) => probe[k] !== undefined);
  if (handlers.length === 0) errs.push(required(p, 'must specify a handler type'));
  else if (handlers.length > 1)
    errs.push(forbidden(p.child(handlers[1] ?? ''), 'may not specify more than 1 handler type'));
  if (probe.httpGet !== undefined) validateHttpGet(probe.httpGet, p.child('httpGet'), errs);
  if (probe.tcpSocket !== undefined)
    validatePortRef(probe.tcpSocket.port, p.child('tcpSocket', 'port'), errs);
  if (probe.exec !== undefined && (probe.exec.command ?? []).length === 0)
    errs.push(required(p.child('exec', 'command')));
  errs.push(...validateNonNegative(probe.initialDelaySeconds, p.child('initialDelaySeconds')));
  for (const f of ['timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const)
    errs.push(...validatePositive(probe[f], p.child(f)));
  if (successMustBeOne && probe.successThreshold !== undefined && probe.successThreshold !== 1)
    errs.push(invalid(p.child('successThreshold'), probe.successThreshold, 'must be 1'));
}

function validateToleration(t: Toleration, p: FieldPath, errs: FieldError[]): void {
  if (t.key !== undefined && t.key !== '')
    for (const m of qualifiedName(t.key)) errs.push(invalid(p.child('key'), t.key, m));
  if ((t.key ?? '') === '' && t.operator !== 'Exists')
    errs.push(
      invalid(
        p.child('operator'),
        t.operator ?? '',
        'operator must be Exists when `key` is empty, which means "match all values and all keys"',
      ),
    );
  errs.push(...validateEnum(t.operator, ['Equal', 'Exists'], p.child('operator')));
  if (t.operator === 'Exists' && (t.value ?? '') !== '')
    errs.push(invalid(p.child('operator'), t.operator, "value must be empty when `operator` is 'Exists'"));
  errs.push(...validateEnum(t.effect, TAINT_EFFECTS, p.child('effect')));
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute')
    errs.push(
      invalid(
        p.child('effect'),
        t.effect ?? '',
        "effect must be 'NoExecute' when `tolerationSeconds` is set",
      ),
    );
}

function validateAffinity(a: Affinity, p: FieldPath, errs: FieldError[]): void {
  const terms = a.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const req = p.child('nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution');
  if (
    a.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution !== undefined &&
    (terms ?? []).length === 0
  )
    errs.push(required(req.child('nodeSelectorTerms'), 'must have at least one node selector term'));
  for (const [i, term] of (terms ?? []).entries())
    for (const [j, e] of (term.matchExpressions ?? []).entries()) {
      const ep = req.child('nodeSelectorTerms').index(i).child('matchExpressions').index(j);
      errs.push(
        ...validateEnum(
          e.operator,
          ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'],
          ep.child('operator'),
          true,
        ),
      );
      const n = e.values?.length ?? 0;
      if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0)
        errs.push(required(ep.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      if ((e.operator === 'Gt' || e.operator === 'Lt') && n !== 1)
        errs.push(
          required(ep.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"),
        );
    }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = a[kind];
    if (pa === undefined) continue;
    const rp = p.child(kind, 'requiredDuringSchedulingIgnoredDuringExecution');
    for (const [i, t] of (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).entries()) {
      if (!t.topologyKey) errs.push(required(rp.index(i).child('topologyKey'), 'can not be empty'));
      errs.push(...validateLabelSelector(t.labelSelector, rp.index(i).child('labelSelector')));
    }
    const pp = p.child(kind, 'preferredDuringSchedulingIgnoredDuringExecution');
    for (const [i, w] of (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).entries()) {
      if (!Number.isInteger(w.weight) || w.weight < 1 || w.weight > 100)
        errs.push(invalid(pp.index(i).child('weight'), w.weight, 'must be in the range 1-100'));
      if (!w.podAffinityTerm?.topologyKey)
        errs.push(required(pp.index(i).child('podAffinityTerm', 'topologyKey'), 'can not be empty'));
    }
  }
}
