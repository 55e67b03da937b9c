/**
 * The runtime field schemas: every served kind has one, valid v1.30 manifests have no unknown
 * fields, and typos are found at their full path (what `fieldValidation=Strict` reports).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { RESOURCES, splitApiVersion } from '../../../agent/src/api/registry.ts';
import { fields, list, string } from '../../../agent/src/api/schema/builder.ts';
import { schemaForKind } from '../../../agent/src/api/schema/kinds.ts';
import { dropUnknownFields, unknownFields } from '../../../agent/src/api/schema/unknown-fields.ts';

const manifests = parseAllDocuments(
  readFileSync(join(import.meta.dirname, 'fixtures/valid-manifests.yaml'), 'utf8'),
).map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string } });

const schemaOf = (apiVersion: string, kind: string) => {
  const schema = schemaForKind(splitApiVersion(apiVersion).group, kind);
  if (schema === undefined) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return schema;
};

describe('field schemas', () => {
  it('exist for every resource the API serves', () => {
    const missing = RESOURCES.filter((r) => schemaForKind(r.group, r.kind) === undefined).map((r) => r.kind);
    expect(missing).toEqual([]);
  });

  it('cover every served kind in the valid-manifest fixture', () => {
    const kinds = new Set(manifests.map((m) => m.kind));
    expect(RESOURCES.map((r) => r.kind).filter((k) => !kinds.has(k))).toEqual([]);
  });

  for (const m of manifests) {
    it(`accept every field of a valid ${m.kind} (${m.metadata.name})`, () => {
      expect(unknownFields(schemaOf(m.apiVersion, m.kind), m)).toEqual([]);
    });
  }
});

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { 'any.key/goes': 'x' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'a', image: 'nginx' },
          { name: 'b', image: 'nginx' },
        ],
      },
    },
  },
});

describe('unknownFields', () => {
  const schema = schemaOf('apps/v1', 'Deployment');
  const cases: { name: string; mutate: (d: ReturnType<typeof deployment>) => void; paths: string[] }[] = [
    { name: 'a valid object', mutate: () => {}, paths: [] },
    {
      name: 'a typo in spec',
      mutate: (d) => Object.assign(d.spec, { replica: 3 }),
      paths: ['spec.replica'],
    },
    {
      name: 'a typo in the second container, with its list index',
      mutate: (d) => Object.assign(d.spec.template.spec.containers[1]!, { imagePullPolcy: 'Always' }),
      paths: ['spec.template.spec.containers[1].imagePullPolcy'],
    },
    {
      name: 'a field at the root',
      mutate: (d) => Object.assign(d, { template: {} }),
      paths: ['template'],
    },
    {
      name: 'several, in body order',
      mutate: (d) => {
        Object.assign(d.metadata, { labelz: {} });
        Object.assign(d.spec.selector, { matchLabel: {} });
      },
      paths: ['metadata.labelz', 'spec.selector.matchLabel'],
    },
    {
      name: 'an unknown field inside an unknown field is reported once, at the top',
      mutate: (d) => Object.assign(d.spec, { stratgy: { type: 'Recreate', bogus: 1 } }),
      paths: ['spec.stratgy'],
    },
    {
      name: 'free-form maps (labels, annotations) accept any key',
      mutate: (d) => Object.assign(d.metadata, { annotations: { 'example.com/x': 'y', replica: '3' } }),
      paths: [],
    },
    {
      name: 'a wrongly typed value is not an unknown field',
      mutate: (d) => Object.assign(d.spec, { template: 'nonsense', selector: [1, 2] }),
      paths: [],
    },
    {
      name: 'null leaves and objects',
      mutate: (d) => Object.assign(d.spec, { strategy: null, replicas: null }),
      paths: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = deployment();
      c.mutate(d);
      expect(unknownFields(schema, d)).toEqual(c.paths);
    });
  }

  it('leaves free-form fields (fieldsV1, ControllerRevision data) unchecked', () => {
    const revision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {},
      revision: 1,
      data: { x: 1 },
    };
    expect(unknownFields(schemaOf('apps/v1', 'ControllerRevision'), revision)).toEqual([]);
  });
});

describe('dropUnknownFields', () => {
  const schema = schemaOf('apps/v1', 'Deployment');

  it('removes exactly the unknown fields and copies only what changed', () => {
    const d = deployment();
    Object.assign(d.spec, { replica: 3 });
    Object.assign(d.spec.template.spec.containers[1]!, { imagePullPolcy: 'Always' });
    const pruned = dropUnknownFields(schema, d);
    expect(unknownFields(schema, pruned)).toEqual([]);
    expect(pruned).toEqual(deployment());
    expect(d.spec).toHaveProperty('replica', 3); // the input is not mutated
    expect(pruned.metadata).toBe(d.metadata);
    expect(pruned.spec.template.spec.containers[0]).toBe(d.spec.template.spec.containers[0]);
  });

  it('returns the same object when nothing is unknown', () => {
    const d = deployment();
    expect(dropUnknownFields(schema, d)).toBe(d);
  });
});

describe('the schema builder', () => {
  it('builds the object the walker reads', () => {
    interface Port {
      name?: string;
      tags?: string[];
    }
    const port = fields<Port>({ name: string, tags: list(string) });
    expect(unknownFields(port, { name: 'x', tags: ['a'], nam: 'typo' })).toEqual(['nam']);
  });
});
