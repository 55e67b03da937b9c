/**
 * Field schemas (api/schema) -> OpenAPI v3 schemas, as Kubernetes publishes them: an object with a
 * definition name becomes one entry of `components.schemas` and every use of it a `$ref` (wrapped
 * in `allOf` where the use carries its own description, as kube-openapi does); unnamed objects are
 * inlined. Pure: the caller owns the component table.
 */
import type { ObjectSchema, Schema } from '../../api/schema/builder.ts';
import type { FieldStrategy, PatchType } from '../patch/merge-keys.ts';

/** A JSON value of an OpenAPI schema object. */
export type OpenApiSchema = { readonly [key: string]: unknown };

const metaV1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const quantityName = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const intOrStringName = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const timeName = `${metaV1}.Time`;

export const refTo = (name: string): OpenApiSchema => ({ $ref: `#/components/schemas/${name}` });

/** A use of a named schema: Kubernetes' `allOf: [{$ref}]`, so the use may add a description. */
function use(name: string, description: string | undefined, objectDefault: boolean): OpenApiSchema {
  return {
    allOf: [refTo(name)],
    ...(objectDefault ? { default: {} } : {}),
    ...(description !== undefined ? { description } : {}),
  };
}

/**
 * The component table of one document. `add` converts a schema, registering every named object it
 * reaches; a name already taken by a different set of fields is a programming error (two types
 * claiming one Kubernetes name) and throws, which the unit tests catch for every served kind.
 */
export class Components {
  readonly schemas = new Map<string, OpenApiSchema>();
  /** Which field set each name stands for, to tell a re-use from a clash. */
  private readonly sources = new Map<string, ObjectSchema['fields']>();
  /** The strategic-merge rules of each named type, gathered from every kind before converting. */
  private readonly patchRules = new Map<string, PatchType>();

  /**
   * Records where lists merge by key (the server's own table, patch/merge-keys.ts), so the
   * documents carry `x-kubernetes-patch-merge-key`: kubectl 1.33 computes apply patches from them,
   * and a list it believed atomic would be sent whole while the server merges it by key. A shared
   * type (ObjectMeta, Container) gets its rules wherever it is used; call before `add`/`register`.
   */
  notePatchRules(schema: Schema, patch: PatchType): void {
    const target = schema.kind === 'list' ? schema.items : schema;
    if (target.kind !== 'object') return;
    if (target.definition !== undefined) {
      const known = this.patchRules.get(target.definition);
      if (known !== undefined && Object.keys(patch).every((key) => key in known)) return;
      this.patchRules.set(target.definition, { ...known, ...patch });
    }
    for (const [key, strategy] of Object.entries(patch)) {
      const field = target.fields[key];
      if (field !== undefined && strategy.type !== undefined) this.notePatchRules(field, strategy.type);
    }
  }

  /** Registers a named schema written by hand (Time, Quantity, Status...). */
  define(name: string, schema: OpenApiSchema): void {
    if (!this.schemas.has(name)) this.schemas.set(name, schema);
  }

  /** Converts a field schema; a named object is registered and referred to. */
  add(schema: Schema, patch?: FieldStrategy): OpenApiSchema {
    const described = schema.description !== undefined ? { description: schema.description } : {};
    switch (schema.kind) {
      case 'leaf':
        return { ...this.leaf(schema.type), ...described };
      case 'any':
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...described };
      case 'list':
        return {
          type: 'array',
          items: this.add(schema.items, patch?.type ? { type: patch.type } : undefined),
          ...described,
          ...(patch?.mergeKey !== undefined
            ? { 'x-kubernetes-patch-merge-key': patch.mergeKey, 'x-kubernetes-patch-strategy': 'merge' }
            : patch?.primitiveMerge === true
              ? { 'x-kubernetes-patch-strategy': 'merge' }
              : {}),
        };
      case 'map':
        return { type: 'object', additionalProperties: this.add(schema.values), ...described };
      case 'object': {
        if (schema.definition === undefined)
          return this.inline(schema, schema.description ?? schema.typeDescription, patch?.type);
        this.register(schema, schema.definition);
        return use(schema.definition, schema.description, true);
      }
    }
  }

  /** Registers a named object and returns its component name. */
  register(schema: ObjectSchema, name: string, extensions: OpenApiSchema = {}): string {
    const known = this.sources.get(name);
    if (known !== undefined) {
      if (known !== schema.fields) throw new Error(`two different schemas are both named ${name}`);
      return name;
    }
    this.sources.set(name, schema.fields);
    // A placeholder first: recursive types (none today, JSONSchemaProps-like later) end at the $ref.
    this.schemas.set(name, {});
    const rules = this.patchRules.get(schema.definition ?? name);
    this.schemas.set(name, { ...this.inline(schema, schema.typeDescription, rules), ...extensions });
    return name;
  }

  private inline(
    schema: ObjectSchema,
    description: string | undefined,
    patch: PatchType | undefined,
  ): OpenApiSchema {
    const properties: Record<string, OpenApiSchema> = {};
    for (const key of Object.keys(schema.fields).sort()) {
      const field = schema.fields[key];
      if (field !== undefined) properties[key] = this.add(field, patch?.[key]);
    }
    return {
      type: 'object',
      ...(description !== undefined ? { description } : {}),
      properties,
      ...(schema.required !== undefined && schema.required.length > 0
        ? { required: [...schema.required] }
        : {}),
    };
  }

  private leaf(type: Extract<Schema, { kind: 'leaf' }>['type']): OpenApiSchema {
    switch (type) {
      case 'string':
        return { type: 'string' };
      case 'boolean':
        return { type: 'boolean' };
      case 'integer':
        return { type: 'integer', format: 'int64' };
      case 'number':
        return { type: 'number', format: 'double' };
      case 'quantity':
        this.define(quantityName, {
          description:
            'A fixed-point number: a decimal or integer with an optional SI or binary suffix (100m, 1.5Gi, 2).',
          oneOf: [{ type: 'string' }, { type: 'number' }],
        });
        return use(quantityName, undefined, false);
      case 'int-or-string':
        this.define(intOrStringName, {
          description: 'An int32 or a string (a number, or a percentage such as "25%", or a port name).',
          format: 'int-or-string',
          oneOf: [{ type: 'integer' }, { type: 'string' }],
        });
        return use(intOrStringName, undefined, false);
      case 'time':
        this.define(timeName, {
          description: 'An RFC 3339 timestamp, serialized in UTC (2006-01-02T15:04:05Z).',
          type: 'string',
          format: 'date-time',
        });
        return use(timeName, undefined, false);
    }
  }
}
