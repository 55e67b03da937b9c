/**
 * A runtime field schema built from the TypeScript types, so that tsc keeps the two in step:
 * `fields<PodSpec>({...})` must name every key of PodSpec (a missing key is a compile error, an
 * extra one an excess-property error), and each value must be a schema of the right shape
 * (a list for an array, a leaf for a scalar, an object or map for an object).
 *
 * The schema only knows which fields exist; value checks are validation/'s job. It answers the
 * one question Kubernetes' strict decoding asks: which fields of a request body are unknown?
 */

/** A scalar: no fields below it. The name records what Kubernetes declares, for readers. */
export interface LeafSchema {
  readonly kind: 'leaf';
  readonly description?: string;
  readonly type: 'string' | 'number' | 'integer' | 'boolean' | 'quantity' | 'int-or-string' | 'time';
}
/** Anything goes below this point (x-kubernetes-preserve-unknown-fields, RawExtension, fieldsV1). */
export interface AnySchema {
  readonly kind: 'any';
  readonly description?: string;
}
export interface ListSchema<I = unknown> {
  readonly kind: 'list';
  readonly items: Schema;
  readonly description?: string;
  /** Phantom: the item type, so `list(container)` fits only a `Container[]` field. */
  readonly __item?: (item: I) => I;
}
/** A free-form string-keyed map whose values share one schema (labels, ResourceList, data). */
export interface MapSchema {
  readonly kind: 'map';
  readonly values: Schema;
  readonly description?: string;
}
export interface ObjectSchema<T = unknown> {
  readonly kind: 'object';
  readonly fields: Readonly<Record<string, Schema>>;
  /** Kubernetes' OpenAPI definition name (`io.k8s.api.core.v1.Container`); unnamed objects are inlined. */
  readonly definition?: string;
  /** What the object type is (the OpenAPI definition's description). */
  readonly typeDescription?: string;
  /** What the field holding it is for, set by `described` (the property's description). */
  readonly description?: string;
  /** Fields a valid object must set, as Kubernetes' OpenAPI lists them. */
  readonly required?: readonly string[];
  /** Phantom, invariant: the TypeScript type these fields were checked against. */
  readonly __type?: (value: T) => T;
}
export type Schema = LeafSchema | AnySchema | ListSchema | MapSchema | ObjectSchema;

/** The schemas that may stand for a value of type V (already without undefined/null). */
export type SchemaFor<V> = [V] extends [readonly (infer I)[]]
  ? ListSchema<I> | AnySchema
  : [V] extends [string | number | boolean | bigint]
    ? LeafSchema | AnySchema
    : ObjectSchema<V> | MapSchema | AnySchema;

/** Every key of T, none optional, each with a schema fitting its value type. */
export type Fields<T> = { readonly [K in keyof Required<T>]-?: SchemaFor<NonNullable<Required<T>[K]>> };

/**
 * The schema of an object type. T is never inferred from the argument (NoInfer): name it, or let
 * the surrounding `fields<Parent>` give it through the expected return type.
 */
export function fields<T>(shape: NoInfer<Fields<T>>, doc: ObjectDoc<NoInfer<T>> = {}): ObjectSchema<T> {
  return {
    kind: 'object',
    fields: shape as unknown as Record<string, Schema>,
    ...(doc.definition !== undefined ? { definition: doc.definition } : {}),
    ...(doc.description !== undefined ? { typeDescription: doc.description } : {}),
    ...(doc.required !== undefined ? { required: doc.required } : {}),
  };
}

/** What OpenAPI (and so `kubectl explain`) says about an object type beyond its field names. */
export interface ObjectDoc<T> {
  readonly definition?: string;
  readonly description?: string;
  readonly required?: readonly (keyof T & string)[];
}

/**
 * The same schema with a one-line description of the field it stands for (what `kubectl explain`
 * prints). A copy, so the shared schema keeps its own description elsewhere.
 */
export function described<S extends { readonly kind: Schema['kind'] }>(schema: S, description: string): S {
  return { ...schema, description };
}

export function list<I>(
  items: ObjectSchema<I> | ListSchema<unknown> | MapSchema | LeafSchema | AnySchema,
): ListSchema<I> {
  return { kind: 'list', items: items as Schema };
}

export const map = (values: Schema): MapSchema => ({ kind: 'map', values });

const leaf = (type: LeafSchema['type']): LeafSchema => ({ kind: 'leaf', type });
export const string = leaf('string');
export const number = leaf('number');
export const integer = leaf('integer');
export const boolean = leaf('boolean');
export const quantity = leaf('quantity');
export const intOrString = leaf('int-or-string');
/** RFC 3339 timestamps (metav1.Time, MicroTime). */
export const time = leaf('time');
export const any: AnySchema = { kind: 'any' };

/** map[string]string: labels, annotations, nodeSelector, ConfigMap data. */
export const stringMap = map(string);
/** A ResourceList: resource name to quantity. */
export const resourceList = map(quantity);
