/** Where a manifest object goes: its resource and namespace, checked against -n as kubectl does. */
import type { KubeObject, ResourceInfo } from '../api.ts';
import { resourceOfObject } from '../client/resources.ts';
import { CliError } from '../errors.ts';
import type { ManifestObject } from '../manifests/parse.ts';

export interface Placed {
  readonly info: ResourceInfo;
  readonly namespace: string | undefined;
  readonly object: KubeObject;
  readonly source: string;
}

export function placeObject(
  m: ManifestObject,
  namespaceFlag: string | undefined,
  contextNamespace: string,
): Placed {
  const { object } = m;
  const info = resourceOfObject(object.apiVersion, object.kind);
  if (!info)
    throw new CliError(
      'Manifest',
      `resource mapping not found for name: "${object.metadata.name ?? ''}" namespace: "${object.metadata.namespace ?? ''}" from "${m.source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"; ensure the kind and apiVersion are right (kedge serves core/v1, apps/v1, batch/v1, autoscaling/v2)`,
    );
  if (!info.namespaced) {
    const { namespace: _dropped, ...meta } = object.metadata;
    return { info, namespace: undefined, object: { ...object, metadata: meta }, source: m.source };
  }
  const own = object.metadata.namespace;
  if (own && namespaceFlag && own !== namespaceFlag)
    throw new CliError(
      'Manifest',
      `the namespace from the provided object "${own}" does not match the namespace "${namespaceFlag}". You must pass '--namespace=${own}' to perform this operation.`,
    );
  const namespace = own || namespaceFlag || contextNamespace;
  return {
    info,
    namespace,
    object: { ...object, metadata: { ...object.metadata, namespace } },
    source: m.source,
  };
}
