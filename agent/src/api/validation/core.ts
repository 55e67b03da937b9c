/** core/v1 kinds other than Pod: services, endpoints, config, storage, nodes, events, leases. */
import {
  duplicate,
  type FieldError,
  FieldPath,
  forbidden,
  invalid,
  required,
  tooLong,
} from '../field-errors.ts';
import { validateEnum, validateLabels, validatePortNumber, validateQuantity } from './meta.ts';
import { configMapKey, dns1123Label, dns1123Subdomain, ipAddress } from './names.ts';
import { validatePortRef } from './pod.ts';

type Loose = Record<string, unknown>;
const SPEC = new FieldPath('spec');
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
/** Kubernetes' limit on a ConfigMap's or Secret's total data size. */
export const MAX_DATA_BYTES = 1024 * 1024;
const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];

export function validateServiceSpec(spec: Loose): FieldError[] {
  const errs = validateEnum(
    spec.type,
    ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'],
    SPEC.child('type'),
  );
  const ports = (spec.ports as Loose[] | undefined) ?? [];
  const headless = spec.clusterIP === 'None';
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) errs.push(required(SPEC.child('externalName')));
  } else if (ports.length === 0 && !headless) errs.push(required(SPEC.child('ports')));
  const names = new Set<string>();
  const keys = new Set<string>();
  for (const [i, p] of ports.entries()) {
    const pp = SPEC.child('ports').index(i);
    const name = typeof p.name === 'string' ? p.name : '';
    if (ports.length > 1 && name === '') errs.push(required(pp.child('name')));
    if (name !== '') {
      // Service port names are DNS labels (kubectl create service names them "80-8080"); the
      // "must contain a letter" rule of IANA_SVC_NAME applies to container ports only.
      for (const m of dns1123Label(name)) errs.push(invalid(pp.child('name'), name, m));
      if (names.has(name)) errs.push(duplicate(pp.child('name'), name));
      names.add(name);
    }
    errs.push(...validatePortNumber(p.port, pp.child('port')));
    errs.push(...validateEnum(p.protocol, PROTOCOLS, pp.child('protocol')));
    const key = `${String(p.port)}/${String(p.protocol ?? 'TCP')}`;
    if (keys.has(key)) errs.push(duplicate(pp, { port: p.port, protocol: p.protocol ?? 'TCP' }));
    keys.add(key);
    if (p.targetPort !== undefined) validatePortRef(p.targetPort, pp.child('targetPort'), errs);
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer')
        errs.push(forbidden(pp.child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
      else errs.push(...validatePortNumber(p.nodePort, pp.child('nodePort')));
    }
  }
  const ip = spec.clusterIP;
  if (typeof ip === 'string' && ip !== '' && ip !== 'None' && !ipAddress(ip))
    errs.push(invalid(SPEC.child('clusterIP'), ip, "must be empty, 'None', or a valid IP address"));
  errs.push(...validateLabels(spec.selector as Record<string, string> | undefined, SPEC.child('selector')));
  errs.push(...validateEnum(spec.sessionAffinity, ['None', 'ClientIP'], SPEC.child('sessionAffinity')));
  return errs;
}

export function validateEndpoints(o: Loose): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, s] of ((o.subsets as Loose[] | undefined) ?? []).entries()) {
    const sp = new FieldPath('subsets').index(i);
    for (const kind of ['addresses', 'notReadyAddresses'] as const)
      for (const [j, a] of ((s[kind] as Loose[] | undefined) ?? []).entries())
        if (typeof a.ip !== 'string' || !ipAddress(a.ip))
          errs.push(invalid(sp.child(kind).index(j).child('ip'), a.ip ?? '', 'must be a valid IP address'));
    for (const [j, p] of ((s.ports as Loose[] | undefined) ?? []).entries()) {
      errs.push(...validatePortNumber(p.port, sp.child('ports').index(j).child('port')));
      errs.push(...validateEnum(p.protocol, PROTOCOLS, sp.child('ports').index(j).child('protocol')));
    }
  }
  return errs;
}

/** ConfigMap and Secret data: valid keys, no key in both maps, at most 1 MiB in total. */
export function validateData(o: Loose, maps: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let size = 0;
  for (const m of maps) {
    for (const [k, v] of Object.entries((o[m] as Record<string, unknown> | undefined) ?? {})) {
      const p = new FieldPath(m).key(k);
      for (const msg of configMapKey(k)) errs.push(invalid(p, k, msg));
      if (seen.has(k)) errs.push(duplicate(p, k));
      seen.add(k);
      if (typeof v !== 'string') errs.push(invalid(p, v, 'must be a string'));
      else size += v.length;
    }
  }
  if (size > MAX_DATA_BYTES) errs.push(tooLong(new FieldPath(maps[0] ?? 'data'), '', MAX_DATA_BYTES));
  return errs;
}

export function validateSecret(o: Loose): FieldError[] {
  const errs = validateData(o, ['data', 'stringData']);
  for (const [k, v] of Object.entries((o.data as Record<string, unknown> | undefined) ?? {}))
    if (typeof v === 'string' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
      errs.push(
        invalid(new FieldPath('data').key(k), '<secret contents redacted>', 'must be base64 encoded'),
      );
  const type = o.type;
  const data = (o.data as Record<string, unknown> | undefined) ?? {};
  const has = (k: string) => k in data || k in ((o.stringData as Record<string, unknown> | undefined) ?? {});
  if (type === 'kubernetes.io/tls')
    for (const k of ['tls.crt', 'tls.key']) if (!has(k)) errs.push(required(new FieldPath('data').key(k)));
  if (type === 'kubernetes.io/dockerconfigjson' && !has('.dockerconfigjson'))
    errs.push(required(new FieldPath('data').key('.dockerconfigjson')));
  return errs;
}

export function validatePVCSpec(spec: Loose, path = SPEC): FieldError[] {
  const errs: FieldError[] = [];
  const modes = (spec.accessModes as string[] | undefined) ?? [];
  if (modes.length === 0)
    errs.push(required(path.child('accessModes'), 'at least 1 access mode is required'));
  for (const [i, m] of modes.entries())
    errs.push(...validateEnum(m, ACCESS_MODES, path.child('accessModes').index(i)));
  const storage = ((spec.resources as Loose | undefined)?.requests as Record<string, unknown> | undefined)
    ?.storage;
  const sp = path.child('resources').child('requests').key('storage');
  if (storage === undefined) errs.push(required(sp));
  else errs.push(...validateQuantity(storage, sp));
  errs.push(...validateEnum(spec.volumeMode, ['Filesystem', 'Block'], path.child('volumeMode')));
  return errs;
}

export function validatePVSpec(spec: Loose): FieldError[] {
  const errs: FieldError[] = [];
  const storage = (spec.capacity as Record<string, unknown> | undefined)?.storage;
  if (storage === undefined) errs.push(required(SPEC.child('capacity'), 'must specify capacity'));
  else errs.push(...validateQuantity(storage, SPEC.child('capacity').key('storage')));
  const modes = (spec.accessModes as string[] | undefined) ?? [];
  if (modes.length === 0)
    errs.push(required(SPEC.child('accessModes'), 'must specify at least 1 access mode'));
  for (const [i, m] of modes.entries())
    errs.push(...validateEnum(m, ACCESS_MODES, SPEC.child('accessModes').index(i)));
  const sources = ['hostPath', 'local'].filter((k) => spec[k] !== undefined);
  if (sources.length === 0) errs.push(required(SPEC, 'must specify a volume type'));
  if (sources.length > 1)
    errs.push(forbidden(SPEC.child(sources[1] ?? ''), 'may not specify more than 1 volume type'));
  errs.push(
    ...validateEnum(
      spec.persistentVolumeReclaimPolicy,
      ['Retain', 'Delete', 'Recycle'],
      SPEC.child('persistentVolumeReclaimPolicy'),
    ),
  );
  return errs;
}

export function validateNodeSpec(spec: Loose | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, t] of ((spec?.taints as Loose[] | undefined) ?? []).entries()) {
    const tp = SPEC.child('taints').index(i);
    if (!t.key) errs.push(required(tp.child('key')));
    errs.push(
      ...validateEnum(t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'], tp.child('effect'), true),
    );
  }
  return errs;
}

export function validateEvent(o: Loose, namespace: string): FieldError[] {
  const errs: FieldError[] = [];
  const io = (o.involvedObject ?? {}) as Loose;
  const ns = typeof io.namespace === 'string' ? io.namespace : '';
  if (ns !== '' && ns !== namespace)
    errs.push(
      invalid(new FieldPath('involvedObject').child('namespace'), ns, 'does not match event.namespace'),
    );
  for (const [f, v] of [
    ['reason', o.reason],
    ['type', o.type],
  ] as const)
    if (v !== undefined && typeof v !== 'string') errs.push(invalid(new FieldPath(f), v, 'must be a string'));
  if (o.type !== undefined) errs.push(...validateEnum(o.type, ['Normal', 'Warning'], new FieldPath('type')));
  return errs;
}

export function validateLeaseSpec(spec: Loose | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const d = spec?.leaseDurationSeconds;
  if (d !== undefined && (typeof d !== 'number' || d <= 0))
    errs.push(invalid(SPEC.child('leaseDurationSeconds'), d, 'must be greater than 0'));
  const t = spec?.leaseTransitions;
  if (t !== undefined && (typeof t !== 'number' || t < 0))
    errs.push(invalid(SPEC.child('leaseTransitions'), t, 'must be greater than or equal to 0'));
  return errs;
}

export const subdomainErrors = dns1123Subdomain;
