/** Which fields may not change on update, per kind, in Kubernetes' words. */
import { type FieldError, FieldPath, forbidden, invalid } from '../field-errors.ts';
import { jsonEqualValues } from './equal.ts';
import { ingressClassUpdate } from './networking.ts';
import { priorityClassUpdate } from './scheduling.ts';

type Loose = Record<string, unknown>;
const SPEC = new FieldPath('spec');
const IMMUTABLE = 'field is immutable';

const get = (o: unknown, ...path: string[]): unknown => {
  let cur = o;
  for (const p of path) cur = typeof cur === 'object' && cur !== null ? (cur as Loose)[p] : undefined;
  return cur;
};

function immutable(next: unknown, old: unknown, p: FieldPath): FieldError[] {
  return jsonEqualValues(next, old) ? [] : [invalid(p, next ?? null, IMMUTABLE)];
}

/** A pod's spec may change only in images, activeDeadlineSeconds, tolerations (additions) and gates. */
function podSpecUpdate(next: Loose, old: Loose): FieldError[] {
  const strip = (s: Loose): Loose => {
    const c = structuredClone(s);
    for (const list of ['containers', 'initContainers'] as const)
      for (const ctr of (c[list] as Loose[] | undefined) ?? []) delete ctr.image;
    delete c.activeDeadlineSeconds;
    delete c.tolerations;
    delete c.terminationGracePeriodSeconds;
    return c;
  };
  const errs: FieldError[] = [];
  const nc = (next.containers as Loose[] | undefined) ?? [];
  const oc = (old.containers as Loose[] | undefined) ?? [];
  if (!jsonEqualValues(strip(next), strip(old)) || nc.length !== oc.length)
    errs.push(
      forbidden(
        SPEC,
        'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      ),
    );
  const oldTol = ((old.tolerations as unknown[] | undefined) ?? []).map((t) => JSON.stringify(t));
  const newTol = new Set(((next.tolerations as unknown[] | undefined) ?? []).map((t) => JSON.stringify(t)));
  if (oldTol.some((t) => !newTol.has(t)))
    errs.push(
      forbidden(
        SPEC.child('tolerations'),
        'existing toleration can not be modified except its tolerationSeconds',
      ),
    );
  const oldDeadline = old.activeDeadlineSeconds;
  if (
    typeof oldDeadline === 'number' &&
    (typeof next.activeDeadlineSeconds !== 'number' || next.activeDeadlineSeconds > oldDeadline)
  )
    errs.push(
      invalid(
        SPEC.child('activeDeadlineSeconds'),
        next.activeDeadlineSeconds ?? null,
        'must be less than or equal to previous value',
      ),
    );
  return errs;
}

/** Rules for `resource` (`group/resource`); both objects are whole objects of that kind. */
export function validateImmutableFields(resource: string, next: Loose, old: Loose): FieldError[] {
  const ns = (next.spec ?? {}) as Loose;
  const os = (old.spec ?? {}) as Loose;
  switch (resource) {
    case '/pods':
      return podSpecUpdate(ns, os);
    case 'scheduling.k8s.io/priorityclasses':
      return priorityClassUpdate(next, old);
    case 'networking.k8s.io/ingressclasses':
      return ingressClassUpdate(next, old);
    case '/services': {
      const oldIP = os.clusterIP;
      if (typeof oldIP === 'string' && oldIP !== '' && ns.clusterIP !== oldIP && ns.type !== 'ExternalName')
        return [invalid(SPEC.child('clusterIP'), ns.clusterIP ?? '', IMMUTABLE)];
      return [];
    }
    case '/persistentvolumeclaims': {
      // Only the storage request may change (grow); everything else is immutable.
      const strip = (s: Loose) => {
        const c = structuredClone(s);
        delete c.resources;
        if (old.status === undefined || get(old, 'spec', 'volumeName') === undefined) delete c.volumeName;
        return c;
      };
      return jsonEqualValues(strip(ns), strip(os))
        ? []
        : [
            forbidden(
              SPEC,
              'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
            ),
          ];
    }
    case '/secrets':
    case '/configmaps': {
      const errs: FieldError[] = [];
      if (resource === '/secrets' && next.type !== old.type)
        errs.push(invalid(new FieldPath('type'), next.type ?? '', IMMUTABLE));
      if (old.immutable === true) {
        if (next.immutable !== true)
          errs.push(forbidden(new FieldPath('immutable'), 'field is immutable when `immutable` is set'));
        for (const f of ['data', 'binaryData', 'stringData'])
          if (!jsonEqualValues(next[f], old[f]))
            errs.push(forbidden(new FieldPath(f), 'field is immutable when `immutable` is set'));
      }
      return errs;
    }
    case 'apps/deployments':
    case 'apps/replicasets':
    case 'apps/daemonsets':
      return immutable(ns.selector, os.selector, SPEC.child('selector'));
    case 'apps/statefulsets': {
      const strip = (s: Loose) => {
        const c = structuredClone(s);
        for (const f of [
          'replicas',
          'template',
          'updateStrategy',
          'persistentVolumeClaimRetentionPolicy',
          'minReadySeconds',
          'ordinals',
          'revisionHistoryLimit',
        ])
          delete c[f];
        return c;
      };
      return jsonEqualValues(strip(ns), strip(os))
        ? []
        : [
            forbidden(
              SPEC,
              "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            ),
          ];
    }
    case 'batch/jobs': {
      const errs = immutable(ns.selector, os.selector, SPEC.child('selector'));
      errs.push(...immutable(ns.template, os.template, SPEC.child('template')));
      errs.push(...immutable(ns.completions, os.completions, SPEC.child('completions')));
      errs.push(...immutable(ns.completionMode, os.completionMode, SPEC.child('completionMode')));
      return errs;
    }
    case '/nodes': {
      const oldCIDR = os.podCIDR;
      if (typeof oldCIDR === 'string' && oldCIDR !== '' && ns.podCIDR !== oldCIDR)
        return [
          forbidden(SPEC.child('podCIDR'), 'node updates may not change podCIDR except from "" to valid'),
        ];
      return [];
    }
    default:
      return [];
  }
}
