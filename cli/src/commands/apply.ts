/**
 * `kedge apply -f`: create what is absent, else PATCH with a three-way strategic merge patch
 * computed from the last-applied annotation, the file and the live object (kubectl's client-side
 * apply); nothing is sent for an object that did not change.
 */
import type { KubeObject } from '../api.ts';
import { patchTypeFor } from '../api.ts';
import { lastAppliedOf, withLastApplied } from '../apply/last-applied.ts';
import { threeWayMergePatch } from '../apply/three-way.ts';
import { ApiError, isNotFound } from '../client/api-error.ts';
import { qualifiedKind, qualifiedResource } from '../client/resources.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { readManifests } from '../manifests/read.ts';
import { placeObject } from './object-target.ts';

const FIELD_MANAGER = 'kubectl-client-side-apply';

export const applyCommand: CommandSpec = {
  name: 'apply',
  group: 'basic',
  summary: 'Create or update resources from files, directories or stdin',
  usage: `kedge apply -f FILENAME... [flags]
  kedge apply -f app.yaml              multi-document YAML or JSON, List kinds too
  kedge apply -f manifests/            every .yaml, .yml and .json below the folder
  cat app.yaml | kedge apply -f -`,
  flags: [
    { name: 'filename', short: 'f', type: 'strings', help: 'Files, directories or - for stdin' },
    {
      name: 'recursive',
      short: 'R',
      type: 'bool',
      help: 'Accepted for kubectl compatibility; folders are always read recursively',
    },
    { name: 'output', short: 'o', type: 'string', help: 'name: print only type/name' },
  ],
  run: runApply,
};

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

async function runApply(inv: Invocation): Promise<number> {
  const manifests = await readManifests(inv.flags.strings('filename'), inv.io.stdin);
  const client = inv.client();
  let failures = 0;
  for (const m of manifests) {
    const placed = placeObject(m, inv.flags.string('namespace'), client.namespace);
    const { info, namespace, object } = placed;
    const name = object.metadata.name;
    const label = `${qualifiedKind(info)}/${name ?? ''}`;
    try {
      if (!name)
        throw new ApiError(
          {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            code: 400,
            reason: 'BadRequest',
            message: `error when retrieving current configuration of "${m.source}": resource name may not be empty`,
          } as never,
          `error: error when retrieving current configuration from "${m.source}": resource name may not be empty`,
        );
      const outcome = await applyOne(inv, placed.info, namespace, object, name, m.source);
      inv.out(inv.flags.string('output') === 'name' ? `${label}\n` : `${label} ${outcome}\n`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      failures++;
      inv.err(`${e.display}\n`);
    }
  }
  return failures > 0 ? 1 : 0;
}

async function applyOne(
  inv: Invocation,
  info: Parameters<ReturnType<Invocation['client']>['get']>[0],
  namespace: string | undefined,
  object: KubeObject,
  name: string,
  source: string,
): Promise<ApplyOutcome> {
  const client = inv.client();
  const modified = withLastApplied(object);
  let live: KubeObject;
  try {
    live = await client.get(info, namespace, name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await client.create(info, namespace, modified, {
      fieldManager: FIELD_MANAGER,
      errorContext: `error when creating "${source}"`,
    });
    return 'created';
  }
  const patch = threeWayMergePatch(
    lastAppliedOf(live) as never,
    modified as never,
    live as never,
    patchTypeFor(info.group, info.kind),
  );
  if (Object.keys(patch).length === 0) return 'unchanged';
  await client.patch(info, namespace, name, 'strategic', patch, {
    fieldManager: FIELD_MANAGER,
    errorContext: `error when applying patch to ${qualifiedResource(info)} "${name}" from "${source}"`,
  });
  return 'configured';
}
