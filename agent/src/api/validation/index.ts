/**
 * Validation entry points: every cause is collected, then reported at once as one Invalid
 * StatusError (422) naming the kind and object, exactly as Kubernetes answers.
 *
 *   validateCreate(resource, obj) -> metadata + kind rules -> undefined | StatusError(Invalid)
 *   validateUpdate(resource, next, old) -> the same + immutable fields + metadata identity
 */
import { invalid as invalidStatus, type StatusError } from '../errors.ts';
import { type FieldError, FieldPath, forbidden, invalid } from '../field-errors.ts';
import { findResource } from '../registry.ts';
import type { KubeObject } from '../types/meta.ts';
import type { PodSpec } from '../types/pod.ts';
import {
  validateData,
  validateEndpoints,
  validateEvent,
  validateLeaseSpec,
  validateNodeSpec,
  validatePVCSpec,
  validatePVSpec,
  validateSecret,
  validateServiceSpec,
} from './core.ts';
import { jsonEqualValues } from './equal.ts';
import { type NameValidator, validateObjectMeta } from './meta.ts';
import { dns1035Label, dns1123Label, dns1123Subdomain } from './names.ts';
import { validateIngressClassSpec, validateIngressSpec } from './networking.ts';
import { validatePodSpec } from './pod.ts';
import { validatePriorityClass } from './scheduling.ts';
import { validateImmutableFields } from './update.ts';
import {
  validateCronJobSpec,
  validateDaemonSetSpec,
  validateDeploymentSpec,
  validateHPASpec,
  validateJobSpec,
  validateReplicaSetSpec,
  validateStatefulSetSpec,
} from './workloads.ts';

type Loose = Record<string, unknown>;
const META = new FieldPath('metadata');

/** Namespaces and services need DNS labels (they become DNS names); most kinds accept subdomains. */
const NAME_RULES: Readonly<Record<string, NameValidator>> = {
  '/namespaces': dns1123Label,
  '/services': dns1035Label,
  'apps/deployments': dns1123Subdomain,
  'apps/statefulsets': dns1123Label,
  'batch/cronjobs': (n) => (n.length > 52 ? ['must be no more than 52 characters'] : dns1123Subdomain(n)),
};

/** All field errors of an object of `resource` (`group/resource`, e.g. `apps/deployments`). */
export function validateObject(resource: string, o: KubeObject): FieldError[] {
  const [group = '', plural = ''] = resource.split('/');
  const info = findResource(group, plural);
  const nameRule = NAME_RULES[resource] ?? dns1123Subdomain;
  const errs = validateObjectMeta(o.metadata, info?.namespaced ?? true, nameRule, META);
  const x = o as unknown as Loose;
  const spec = (x.spec ?? {}) as Loose;
  switch (resource) {
    case '/pods':
      errs.push(...validatePodSpec(x.spec as PodSpec, new FieldPath('spec')));
      break;
    case '/services':
      errs.push(...validateServiceSpec(spec));
      break;
    case '/endpoints':
      errs.push(...validateEndpoints(x));
      break;
    case '/configmaps':
      errs.push(...validateData(x, ['data', 'binaryData']));
      break;
    case '/secrets':
      errs.push(...validateSecret(x));
      break;
    case '/nodes':
      errs.push(...validateNodeSpec(x.spec as Loose | undefined));
      break;
    case '/events':
      errs.push(...validateEvent(x, o.metadata?.namespace ?? ''));
      break;
    case '/persistentvolumeclaims':
      errs.push(...validatePVCSpec(spec));
      break;
    case '/persistentvolumes':
      errs.push(...validatePVSpec(spec));
      break;
    case 'apps/deployments':
      errs.push(...validateDeploymentSpec(spec));
      break;
    case 'apps/replicasets':
      errs.push(...validateReplicaSetSpec(spec));
      break;
    case 'apps/statefulsets':
      errs.push(...validateStatefulSetSpec(spec));
      break;
    case 'apps/daemonsets':
      errs.push(...validateDaemonSetSpec(spec));
      break;
    case 'batch/jobs':
      errs.push(...validateJobSpec(spec));
      break;
    case 'batch/cronjobs':
      errs.push(...validateCronJobSpec(spec));
      break;
    case 'autoscaling/horizontalpodautoscalers':
      errs.push(...validateHPASpec(spec));
      break;
    case 'coordination.k8s.io/leases':
      errs.push(...validateLeaseSpec(x.spec as Loose | undefined));
      break;
    case 'networking.k8s.io/ingresses':
      errs.push(...validateIngressSpec(spec));
      break;
    case 'networking.k8s.io/ingressclasses':
      errs.push(...validateIngressClassSpec(x.spec as Loose | undefined));
      break;
    case 'scheduling.k8s.io/priorityclasses':
      errs.push(...validatePriorityClass(x));
      break;
  }
  return errs;
}

function toStatus(resource: string, o: KubeObject, errs: FieldError[]): StatusError | undefined {
  if (errs.length === 0) return undefined;
  const [group = '', plural = ''] = resource.split('/');
  const kind = findResource(group, plural)?.kind ?? o.kind ?? plural;
  return invalidStatus({ group, kind }, o.metadata?.name ?? o.metadata?.generateName ?? '', errs);
}

/** Undefined when valid; otherwise one Invalid StatusError listing every cause. */
export function validateCreate(resource: string, o: KubeObject): StatusError | undefined {
  return toStatus(resource, o, validateObject(resource, o));
}

/** Object rules plus identity and immutability rules against the stored `old` object. */
export function validateUpdate(resource: string, next: KubeObject, old: KubeObject): StatusError | undefined {
  const errs = validateObject(resource, next);
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    const v = next.metadata?.[f];
    if (v !== undefined && v !== '' && v !== null && v !== old.metadata[f])
      errs.push(invalid(META.child(f), v, 'field is immutable'));
  }
  if (old.metadata.deletionTimestamp !== undefined) {
    const added = (next.metadata?.finalizers ?? []).filter(
      (f) => !(old.metadata.finalizers ?? []).includes(f),
    );
    if (added.length > 0)
      errs.push(
        forbidden(
          META.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
        ),
      );
  }
  errs.push(...validateImmutableFields(resource, next as unknown as Loose, old as unknown as Loose));
  return toStatus(resource, next, errs);
}

export { jsonEqualValues };
