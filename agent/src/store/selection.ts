/** Which objects a list or watch wants: a namespace, a label selector and a field selector. */
import type { StatusError } from '../api/errors.ts';
import { ALL_FIELDS, type FieldSelector, matchesFields, parseFieldSelector } from '../api/field-selector.ts';
import { EVERYTHING, matchesLabels, parseLabelSelector, type Selector } from '../api/label-selector.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { ResourcePolicy } from './policy.ts';

export interface SelectionOptions {
  /** Omit (or '') for all namespaces. Ignored for cluster-scoped resources. */
  readonly namespace?: string;
  readonly labelSelector?: string | Selector;
  readonly fieldSelector?: string | FieldSelector;
}

export interface Selection {
  readonly namespace: string | undefined;
  readonly labels: Selector;
  readonly fields: FieldSelector;
}

export function compileSelection(policy: ResourcePolicy, o: SelectionOptions): Selection | StatusError {
  const labels =
    o.labelSelector === undefined
      ? EVERYTHING
      : typeof o.labelSelector === 'string'
        ? parseLabelSelector(o.labelSelector)
        : o.labelSelector;
  if ('status' in labels) return labels;
  const fields =
    o.fieldSelector === undefined
      ? ALL_FIELDS
      : typeof o.fieldSelector === 'string'
        ? parseFieldSelector(o.fieldSelector, policy.fieldSelectors)
        : o.fieldSelector;
  if ('status' in fields) return fields;
  const namespace =
    policy.namespaced && o.namespace !== undefined && o.namespace !== '' ? o.namespace : undefined;
  return { namespace, labels, fields };
}

export function selects(s: Selection, obj: KubeObject): boolean {
  if (s.namespace !== undefined && obj.metadata.namespace !== s.namespace) return false;
  return matchesLabels(s.labels, obj.metadata.labels) && matchesFields(s.fields, obj);
}

export const selectsAll = (s: Selection): boolean =>
  s.labels.requirements.length === 0 && !s.labels.nothing && s.fields.requirements.length === 0;
