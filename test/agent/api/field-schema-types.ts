/**
 * Compile-time checks of the schema builder, run by `tsc --noEmit` (not vitest): each
 * `@ts-expect-error` must meet a compile error, so a builder that stopped enforcing the types
 * would make this file fail the type check.
 */
import {
  fields,
  list,
  number,
  type ObjectSchema,
  string,
  stringMap,
} from '../../../agent/src/api/schema/builder.ts';

interface Port {
  containerPort: number;
  name?: string;
}
interface Container {
  name: string;
  image?: string;
  ports?: Port[];
}
interface Spec {
  containers: Container[];
  strategy?: { type?: 'A' | 'B' };
  labels?: Record<string, string>;
}
const port = fields<Port>({ containerPort: number, name: string });
const container = fields<Container>({ name: string, image: string, ports: list(port) });
export const spec: ObjectSchema<Spec> = fields<Spec>({
  containers: list(container),
  strategy: fields({ type: string }),
  labels: stringMap,
});

// @ts-expect-error a key of the interface (image) is missing
export const missingKey = fields<Container>({ name: string, ports: list(port) });

export const extraKey = fields<Container>({
  name: string,
  image: string,
  ports: list(port),
  // @ts-expect-error a key the interface does not have
  imagePullPolcy: string,
});

export const nestedMissing = fields<Spec>({
  containers: list(container),
  // @ts-expect-error an inline object schema without its key
  strategy: fields({}),
  labels: stringMap,
});

export const wrongItems = fields<Spec>({
  // @ts-expect-error a list of the wrong item type
  containers: list(port),
  strategy: fields({ type: string }),
  labels: stringMap,
});

export const leafForList = fields<Spec>({
  // @ts-expect-error a scalar where the type has a list
  containers: string,
  strategy: fields({ type: string }),
  labels: stringMap,
});
