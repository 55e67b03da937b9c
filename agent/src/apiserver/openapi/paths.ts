/**
 * The `paths` of a group-version document: per resource, the collection, the object and its
 * subresources, each operation tagged with `x-kubernetes-action` and the GVK it serves. kubectl
 * reads them to learn that the server does field validation: a PATCH for the kind that lists a
 * `fieldValidation` query parameter (kubectl's queryParamVerifierV3) makes it send
 * `fieldValidation=Strict` instead of validating on the client.
 */
import type { ResourceInfo } from '../../api/registry.ts';
import { type OpenApiSchema, refTo } from './components.ts';
import { deleteOptionsName, patchName, statusName } from './meta-schemas.ts';

export interface ServedKind {
  readonly info: ResourceInfo;
  readonly schemaName: string;
  readonly listName: string;
  /** io.k8s.api.autoscaling.v1.Scale when the resource has a /scale subresource. */
  readonly scaleName?: string;
}

type Action = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';

const query = (name: string, description: string, type = 'string'): OpenApiSchema => ({
  name,
  in: 'query',
  description,
  schema: { type },
  uniqueItems: true,
});
const pathParameter = (name: string, description: string): OpenApiSchema => ({
  name,
  in: 'path',
  description,
  required: true,
  schema: { type: 'string' },
  uniqueItems: true,
});

const pretty = query('pretty', "If 'true', the output is pretty printed.");
const dryRun = query('dryRun', 'When present (All), the request is processed but nothing is persisted.');
const fieldManager = query('fieldManager', 'The name of the actor making these changes.');
const fieldValidation = query(
  'fieldValidation',
  'How the server treats unknown or duplicate fields: Ignore, Warn (the default) or Strict.',
);
const listParameters = [
  query('labelSelector', 'Restricts the list to objects whose labels match.'),
  query('fieldSelector', 'Restricts the list to objects whose fields match.'),
  query(
    'limit',
    'The maximum number of items to return; the rest come through the continue token.',
    'integer',
  ),
  query('continue', 'The continue token of a previous page.'),
  query('resourceVersion', 'Which version of the list to serve, or to start a watch from.'),
  query('watch', 'Watch for changes and stream them as events.', 'boolean'),
  query('timeoutSeconds', 'How long a list or watch may last.', 'integer'),
];
const deleteParameters = [
  dryRun,
  query('gracePeriodSeconds', 'Seconds before the object is deleted; 0 deletes now.', 'integer'),
  query(
    'propagationPolicy',
    'Whether and how dependents are garbage collected: Orphan, Background or Foreground.',
  ),
];

const jsonBody = (name: string): OpenApiSchema => ({
  content: { 'application/json': { schema: refTo(name) } },
  required: true,
});
const patchBody: OpenApiSchema = {
  content: Object.fromEntries(
    [
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/apply-patch+yaml',
    ].map((type) => [type, { schema: refTo(patchName) }]),
  ),
  required: true,
};
const answers = (name: string, codes: readonly string[]): OpenApiSchema => ({
  ...Object.fromEntries(
    codes.map((code) => [
      code,
      { description: 'OK', content: { 'application/json': { schema: refTo(name) } } },
    ]),
  ),
  '401': { description: 'Unauthorized' },
});

function operation(
  kind: ServedKind,
  action: Action,
  subject: { readonly group: string; readonly version: string; readonly kind: string },
  responseName: string,
  extra: OpenApiSchema,
  what: string,
  suffix = '',
): OpenApiSchema {
  const { info } = kind;
  const tag =
    info.group === '' ? `core_${info.version}` : `${info.group.split('.')[0] ?? info.group}_${info.version}`;
  return {
    tags: [tag],
    description: what,
    operationId: `${action}${info.namespaced ? 'Namespaced' : ''}${info.kind}${suffix}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: subject.group, version: subject.version, kind: subject.kind },
    responses: answers(responseName, action === 'post' ? ['200', '201', '202'] : ['200']),
    ...extra,
  };
}

/** The path items that serve one resource, as [path, item] pairs. */
export function resourcePaths(kind: ServedKind): [string, OpenApiSchema][] {
  const { info } = kind;
  const prefix = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const scope = info.namespaced ? `${prefix}/namespaces/{namespace}/` : `${prefix}/`;
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  const collectionPath = `${scope}${info.resource}`;
  const objectPath = `${collectionPath}/{name}`;
  const namespaceParameter = info.namespaced
    ? [pathParameter('namespace', 'Object name and auth scope.')]
    : [];
  const nameParameter = pathParameter('name', `Name of the ${info.kind}.`);
  const write = (name: string) => ({
    parameters: [dryRun, fieldManager, fieldValidation],
    requestBody: jsonBody(name),
  });
  const patch = {
    parameters: [dryRun, fieldManager, fieldValidation, query('force', 'Force an apply.', 'boolean')],
    requestBody: patchBody,
  };

  const items: [string, OpenApiSchema][] = [
    [
      collectionPath,
      {
        parameters: [...namespaceParameter, pretty],
        get: operation(
          kind,
          'list',
          gvk,
          kind.listName,
          { parameters: listParameters },
          `list or watch ${info.kind} objects`,
        ),
        post: operation(
          kind,
          'post',
          gvk,
          kind.schemaName,
          write(kind.schemaName),
          `create ${/^[AEIOU]/.test(info.kind) ? 'an' : 'a'} ${info.kind}`,
        ),
        delete: operation(
          kind,
          'deletecollection',
          gvk,
          statusName,
          { parameters: [...listParameters, ...deleteParameters] },
          `delete a collection of ${info.kind}`,
          'Collection',
        ),
      },
    ],
    [
      objectPath,
      {
        parameters: [nameParameter, ...namespaceParameter, pretty],
        get: operation(kind, 'get', gvk, kind.schemaName, {}, `read the specified ${info.kind}`),
        put: operation(
          kind,
          'put',
          gvk,
          kind.schemaName,
          write(kind.schemaName),
          `replace the specified ${info.kind}`,
        ),
        patch: operation(
          kind,
          'patch',
          gvk,
          kind.schemaName,
          patch,
          `partially update the specified ${info.kind}`,
        ),
        delete: operation(
          kind,
          'delete',
          gvk,
          statusName,
          {
            parameters: deleteParameters,
            requestBody: { content: { 'application/json': { schema: refTo(deleteOptionsName) } } },
          },
          `delete the specified ${info.kind}`,
        ),
      },
    ],
  ];
  if (info.namespaced) {
    items.push([
      `${prefix}/${info.resource}`,
      {
        parameters: [pretty],
        get: operation(
          kind,
          'list',
          gvk,
          kind.listName,
          { parameters: listParameters },
          `list or watch ${info.kind} objects across all namespaces`,
          'ForAllNamespaces',
        ),
      },
    ]);
  }
  for (const subresource of info.subresources) {
    const scale = subresource === 'scale' ? kind.scaleName : undefined;
    if (subresource === 'scale' && scale === undefined) continue;
    const bodyName = scale ?? kind.schemaName;
    const subject = scale !== undefined ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
    const suffix = subresource === 'scale' ? 'Scale' : 'Status';
    items.push([
      `${objectPath}/${subresource}`,
      {
        parameters: [nameParameter, ...namespaceParameter, pretty],
        get: operation(
          kind,
          'get',
          subject,
          bodyName,
          {},
          `read ${subresource} of the specified ${info.kind}`,
          suffix,
        ),
        put: operation(
          kind,
          'put',
          subject,
          bodyName,
          write(bodyName),
          `replace ${subresource} of the specified ${info.kind}`,
          suffix,
        ),
        patch: operation(
          kind,
          'patch',
          subject,
          bodyName,
          patch,
          `partially update ${subresource} of the specified ${info.kind}`,
          suffix,
        ),
      },
    ]);
  }
  return items;
}
