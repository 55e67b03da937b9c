export {
  applyDefaults,
  defaultPodSpec,
  defaultPullPolicy,
  podQOSClass,
  prepareForCreate,
} from './defaults.ts';
export * from './errors.ts';
export * as field from './field-errors.ts';
export {
  errorBody,
  type FieldError,
  type FieldErrors,
  FieldPath,
  formatFieldError,
  toStatusCause,
} from './field-errors.ts';
export * from './field-selector.ts';
export * from './label-selector.ts';
export * from './quantity.ts';
export * from './registry.ts';
export { buildTable, type IncludeObject, type TableOptions } from './table.ts';
export { age, COLUMNS, type Column, humanDuration, podStatusReason } from './table-columns.ts';
export type * from './types/apps.ts';
export type * from './types/autoscaling.ts';
export type * from './types/batch.ts';
export type * from './types/coordination.ts';
export type * from './types/core.ts';
export type * from './types/meta.ts';
export type * from './types/networking.ts';
export type * from './types/pod.ts';
export type * from './types/scheduling.ts';
export { validateCreate, validateObject, validateUpdate } from './validation/index.ts';
export * as names from './validation/names.ts';
