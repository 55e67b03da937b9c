/**
 * scheduling.k8s.io/v1 PriorityClass rules, in Kubernetes' words: user classes may not exceed
 * 1,000,000,000 and may not take the `system-` prefix (reserved for the built-in classes, which the
 * API server provides itself: see api/priority.ts); value and preemptionPolicy are immutable.
 */
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../field-errors.ts';
import { HIGHEST_USER_DEFINABLE_PRIORITY, SYSTEM_PRIORITY_CLASS_PREFIX } from '../priority.ts';

type Loose = Record<string, unknown>;
const POLICIES = ['Never', 'PreemptLowerPriority'] as const;
const INT32_MIN = -2_147_483_648;

export function validatePriorityClass(o: Loose): FieldError[] {
  const errs: FieldError[] = [];
  const name = String((o.metadata as Loose | undefined)?.name ?? '');
  const value = o.value;
  if (value === undefined || value === null) errs.push(required(new FieldPath('value')));
  else if (typeof value !== 'number' || !Number.isInteger(value))
    errs.push(invalid(new FieldPath('value'), value, 'must be an integer'));
  else if (value > HIGHEST_USER_DEFINABLE_PRIORITY || value < INT32_MIN)
    errs.push(
      invalid(
        new FieldPath('value'),
        value,
        `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`,
      ),
    );
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX))
    errs.push(
      forbidden(
        new FieldPath('metadata').child('name'),
        `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only`,
      ),
    );
  if (o.globalDefault !== undefined && typeof o.globalDefault !== 'boolean')
    errs.push(invalid(new FieldPath('globalDefault'), o.globalDefault, 'must be a boolean'));
  const policy = o.preemptionPolicy;
  if (policy === undefined || policy === '') errs.push(required(new FieldPath('preemptionPolicy')));
  else if (!(POLICIES as readonly unknown[]).includes(policy))
    errs.push(notSupported(new FieldPath('preemptionPolicy'), policy, POLICIES));
  return errs;
}

export function priorityClassUpdate(next: Loose, old: Loose): FieldError[] {
  const errs: FieldError[] = [];
  if (next.value !== old.value)
    errs.push(forbidden(new FieldPath('value'), 'may not be changed in an update.'));
  if (next.preemptionPolicy !== old.preemptionPolicy)
    errs.push(
      invalid(new FieldPath('preemptionPolicy'), next.preemptionPolicy ?? null, 'field is immutable'),
    );
  return errs;
}
