/** apps, batch and autoscaling validation: replicas, selectors that match their templates, strategies. */
import { type FieldError, FieldPath, invalid, notSupported, required } from '../field-errors.ts';
import { labelSelectorMatches } from '../label-selector.ts';
import type { LabelSelector } from '../types/meta.ts';
import type { PodTemplateSpec } from '../types/pod.ts';
import {
  validateEnum,
  validateLabelSelector,
  validateLabels,
  validateNonNegative,
  validatePositive,
} from './meta.ts';
import { validatePodSpec } from './pod.ts';

type Loose = Record<string, unknown>;
const SPEC = new FieldPath('spec');

/** A template with labels that the selector selects; `allowed` restricts its restartPolicy. */
export function validateSelectedTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  path: FieldPath,
  allowedRestart: readonly string[],
  /** Volume names the controller adds to every pod (a StatefulSet's volumeClaimTemplates). */
  claimVolumes: ReadonlySet<string> = new Set(),
): FieldError[] {
  const errs: FieldError[] = [];
  const sp = path.child('selector');
  const empty =
    selector === undefined ||
    selector === null ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
  if (empty) errs.push(invalid(sp, selector ?? null, 'empty selector is invalid'));
  else errs.push(...validateLabelSelector(selector, sp));
  const tp = path.child('template');
  if (template === undefined || template === null) {
    errs.push(required(tp));
    return errs;
  }
  const labels = template.metadata?.labels;
  errs.push(...validateLabels(labels, tp.child('metadata', 'labels')));
  if (!empty && !labelSelectorMatches(selector, labels))
    errs.push(
      invalid(tp.child('metadata', 'labels'), labels ?? {}, '`selector` does not match template `labels`'),
    );
  errs.push(...validatePodSpec(template.spec, tp.child('spec'), claimVolumes));
  const rp = template.spec?.restartPolicy;
  if (rp !== undefined && !allowedRestart.includes(rp))
    errs.push(notSupported(tp.child('spec', 'restartPolicy'), rp, allowedRestart));
  return errs;
}

/** An int or a percentage string such as "25%". */
function validateIntOrPercent(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return validateNonNegative(v, p);
  if (typeof v === 'string' && /^\d+%$/.test(v))
    return Number(v.slice(0, -1)) > 100 ? [invalid(p, v, 'must not be greater than 100%')] : [];
  return [
    invalid(
      p,
      v,
      "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ),
  ];
}

const isZero = (v: unknown) => v === 0 || v === '0%';

/** maxUnavailable and maxSurge of a rolling update (Deployment, DaemonSet): each an int or a percentage. */
function validateRollingUpdateBounds(ru: Loose, path: FieldPath): FieldError[] {
  return [
    ...validateIntOrPercent(ru.maxUnavailable, path.child('maxUnavailable')),
    ...validateIntOrPercent(ru.maxSurge, path.child('maxSurge')),
  ];
}

/** A StatefulSet's or DaemonSet's updateStrategy.type: they update in place or only on delete. */
function validateUpdateStrategyType(us: Loose): FieldError[] {
  return validateEnum(us.type, ['RollingUpdate', 'OnDelete'], SPEC.child('updateStrategy', 'type'));
}

/**
 * The template of a controller that keeps its pods running (restartPolicy Always), selected by
 * its selector; a StatefulSet's claim templates count as the pods' volumes.
 */
function validateKeptRunningTemplate(spec: Loose): FieldError[] {
  return validateSelectedTemplate(
    spec.selector as LabelSelector,
    spec.template as PodTemplateSpec,
    SPEC,
    ['Always'],
    claimTemplateNames(spec.volumeClaimTemplates),
  );
}

export function validateDeploymentSpec(spec: Loose): FieldError[] {
  const errs = validateNonNegative(spec.replicas, SPEC.child('replicas'));
  errs.push(...validateKeptRunningTemplate(spec));
  const strategy = (spec.strategy ?? {}) as Loose;
  const stp = SPEC.child('strategy');
  errs.push(...validateEnum(strategy.type, ['Recreate', 'RollingUpdate'], stp.child('type')));
  const ru = strategy.rollingUpdate as Loose | undefined;
  if (strategy.type === 'Recreate' && ru !== undefined)
    errs.push({
      type: 'FieldValueForbidden',
      field: stp.child('rollingUpdate').path,
      detail: "may not be specified when strategy `type` is 'Recreate'",
    });
  if (ru !== undefined) {
    errs.push(...validateRollingUpdateBounds(ru, stp.child('rollingUpdate')));
    if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge))
      errs.push(
        invalid(
          stp.child('rollingUpdate', 'maxUnavailable'),
          ru.maxUnavailable,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
  }
  errs.push(...validateNonNegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit')));
  errs.push(...validateNonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds')));
  errs.push(...validatePositive(spec.progressDeadlineSeconds, SPEC.child('progressDeadlineSeconds')));
  if (
    typeof spec.progressDeadlineSeconds === 'number' &&
    typeof spec.minReadySeconds === 'number' &&
    spec.progressDeadlineSeconds <= spec.minReadySeconds
  )
    errs.push(
      invalid(
        SPEC.child('progressDeadlineSeconds'),
        spec.progressDeadlineSeconds,
        'must be greater than minReadySeconds',
      ),
    );
  return errs;
}

export function validateReplicaSetSpec(spec: Loose): FieldError[] {
  const errs = validateNonNegative(spec.replicas, SPEC.child('replicas'));
  errs.push(...validateNonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds')));
  errs.push(...validateKeptRunningTemplate(spec));
  return errs;
}

export function validateStatefulSetSpec(spec: Loose): FieldError[] {
  const errs = validateNonNegative(spec.replicas, SPEC.child('replicas'));
  errs.push(
    ...validateEnum(
      spec.podManagementPolicy,
      ['OrderedReady', 'Parallel'],
      SPEC.child('podManagementPolicy'),
    ),
  );
  const us = (spec.updateStrategy ?? {}) as Loose;
  errs.push(...validateUpdateStrategyType(us));
  errs.push(
    ...validateNonNegative(
      (us.rollingUpdate as Loose | undefined)?.partition,
      SPEC.child('updateStrategy', 'rollingUpdate', 'partition'),
    ),
  );
  errs.push(...validateKeptRunningTemplate(spec));
  return errs;
}

/** The PVC templates' names: the StatefulSet controller mounts one claim per ordinal under each. */
function claimTemplateNames(templates: unknown): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(templates)) return names;
  for (const t of templates as Loose[]) {
    const name = (t?.metadata as Loose | undefined)?.name;
    if (typeof name === 'string' && name !== '') names.add(name);
  }
  return names;
}

export function validateDaemonSetSpec(spec: Loose): FieldError[] {
  const us = (spec.updateStrategy ?? {}) as Loose;
  const errs = validateUpdateStrategyType(us);
  const ru = us.rollingUpdate as Loose | undefined;
  if (ru !== undefined)
    errs.push(...validateRollingUpdateBounds(ru, SPEC.child('updateStrategy', 'rollingUpdate')));
  errs.push(...validateKeptRunningTemplate(spec));
  return errs;
}

export function validateJobSpec(spec: Loose, path = SPEC, generatedSelector = true): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'ttlSecondsAfterFinished'] as const)
    errs.push(...validateNonNegative(spec[f], path.child(f)));
  errs.push(...validatePositive(spec.activeDeadlineSeconds, path.child('activeDeadlineSeconds')));
  errs.push(...validateEnum(spec.completionMode, ['NonIndexed', 'Indexed'], path.child('completionMode')));
  if (spec.completionMode === 'Indexed' && spec.completions === undefined)
    errs.push({
      type: 'FieldValueRequired',
      field: path.child('completions').path,
      detail: 'when completion mode is Indexed',
    });
  const template = spec.template as PodTemplateSpec | undefined;
  if (generatedSelector && spec.selector !== undefined) {
    errs.push(
      ...validateSelectedTemplate(spec.selector as LabelSelector, template, path, ['OnFailure', 'Never']),
    );
  } else if (template === undefined) {
    errs.push(required(path.child('template')));
  } else {
    errs.push(...validatePodSpec(template.spec, path.child('template', 'spec')));
    errs.push(
      ...validateEnum(
        template.spec?.restartPolicy,
        ['OnFailure', 'Never'],
        path.child('template', 'spec', 'restartPolicy'),
        true,
      ),
    );
  }
  return errs;
}

/** Five fields (or an @-macro), each `*`, a number, a range, a list or a step. */
export function validCronSchedule(s: string): boolean {
  const t = s.trim().replace(/^(TZ|CRON_TZ)=\S+\s+/, '');
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every \S+)$/.test(t)) return true;
  const fields = t.split(/\s+/);
  if (fields.length !== 5) return false;
  const names = /^[A-Za-z]{3}$/;
  return fields.every((f) =>
    f
      .split(',')
      .every(
        (part) => /^(\*|\?|\d+|\d+-\d+|[A-Za-z]{3}(-[A-Za-z]{3})?)(\/\d+)?$/.test(part) || names.test(part),
      ),
  );
}

export function validateCronJobSpec(spec: Loose): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = spec.schedule;
  if (typeof schedule !== 'string' || schedule === '') errs.push(required(SPEC.child('schedule')));
  else if (!validCronSchedule(schedule))
    errs.push(invalid(SPEC.child('schedule'), schedule, 'unparseable cron schedule'));
  errs.push(
    ...validateEnum(spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace'], SPEC.child('concurrencyPolicy')),
  );
  errs.push(...validateNonNegative(spec.startingDeadlineSeconds, SPEC.child('startingDeadlineSeconds')));
  errs.push(
    ...validateNonNegative(spec.successfulJobsHistoryLimit, SPEC.child('successfulJobsHistoryLimit')),
  );
  errs.push(...validateNonNegative(spec.failedJobsHistoryLimit, SPEC.child('failedJobsHistoryLimit')));
  const jt = spec.jobTemplate as Loose | undefined;
  if (jt?.spec === undefined) errs.push(required(SPEC.child('jobTemplate', 'spec')));
  else errs.push(...validateJobSpec(jt.spec as Loose, SPEC.child('jobTemplate', 'spec'), false));
  return errs;
}

export function validateHPASpec(spec: Loose): FieldError[] {
  const errs: FieldError[] = [];
  const ref = (spec.scaleTargetRef ?? {}) as Loose;
  if (!ref.kind) errs.push(required(SPEC.child('scaleTargetRef', 'kind')));
  if (!ref.name) errs.push(required(SPEC.child('scaleTargetRef', 'name')));
  const min = spec.minReplicas;
  const max = spec.maxReplicas;
  if (min !== undefined && (typeof min !== 'number' || min < 1))
    errs.push(invalid(SPEC.child('minReplicas'), min, 'must be greater than or equal to 1'));
  if (typeof max !== 'number' || max < 1)
    errs.push(invalid(SPEC.child('maxReplicas'), max ?? 0, 'must be greater than 0'));
  else if (typeof min === 'number' && max < min)
    errs.push(invalid(SPEC.child('maxReplicas'), max, 'must be greater than or equal to `minReplicas`'));
  for (const [i, m] of ((spec.metrics as Loose[] | undefined) ?? []).entries()) {
    const mp = SPEC.child('metrics').index(i);
    errs.push(
      ...validateEnum(
        m.type,
        ['Resource', 'Pods', 'Object', 'External', 'ContainerResource'],
        mp.child('type'),
        true,
      ),
    );
    if (m.type === 'Resource') {
      const r = (m.resource ?? {}) as Loose;
      if (!r.name) errs.push(required(mp.child('resource', 'name')));
      const target = (r.target ?? {}) as Loose;
      errs.push(
        ...validateEnum(
          target.type,
          ['Utilization', 'Value', 'AverageValue'],
          mp.child('resource', 'target', 'type'),
          true,
        ),
      );
      if (target.type === 'Utilization')
        errs.push(
          ...validatePositive(
            target.averageUtilization,
            mp.child('resource', 'target', 'averageUtilization'),
          ),
        );
    }
  }
  return errs;
}
