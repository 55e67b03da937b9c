/**
 * What the API server checks before it proposes a write. The envelope checks here belong to the
 * HTTP layer (the body is an object of the URL's kind, in the URL's namespace, with a valid name);
 * kind-specific defaulting and validation come from the API package through `ObjectAdmission`,
 * injected when the server is built.
 */
import { randomInt } from 'node:crypto';
import { nameSuffix } from '../api/generated-names.ts';
import type { ResourceInfo } from '../api/registry.ts';
import type { KubeObject } from '../api/types/meta.ts';
import { dns1123Subdomain } from '../api/validation/names.ts';
import type { ResourceRoute } from './request/route.ts';
import { badRequest, invalid } from './status.ts';

/** Kind-specific defaulting and validation; throws Invalid (422) with every cause at once. */
export interface ObjectAdmission {
  /** Returns the defaulted object for a create; `uid` is the one the server assigned. */
  admitCreate(info: ResourceInfo, object: KubeObject, uid: string): KubeObject;
  /** Returns the defaulted object for an update of `old` (immutable fields are checked here). */
  admitUpdate(info: ResourceInfo, object: KubeObject, old: KubeObject): KubeObject;
}

/** Admission without kind-specific rules: the envelope checks alone. */
export const envelopeOnlyAdmission: ObjectAdmission = {
  admitCreate: (_info, object) => object,
  admitUpdate: (_info, object) => object,
};

const apiVersionOf = (info: ResourceInfo): string =>
  info.group === '' ? info.version : `${info.group}/${info.version}`;

/**
 * Checks that a decoded body is an object of the route's kind and returns it as a KubeObject with
 * the URL's namespace filled in. `kind` and `apiVersion` may be omitted (filled from the URL).
 */
export function checkEnvelope(body: unknown, info: ResourceInfo, route: ResourceRoute): KubeObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`the request body must be a JSON or YAML object of kind ${info.kind}`);
  }
  const object = body as KubeObject & Record<string, unknown>;
  if (object.kind !== undefined && object.kind !== info.kind) {
    throw badRequest(
      `the object's kind "${String(object.kind)}" does not match the resource "${route.resource}" (kind ${info.kind}); send it to the ${String(object.kind)} endpoint`,
    );
  }
  if (object.apiVersion !== undefined && object.apiVersion !== apiVersionOf(info)) {
    throw badRequest(
      `the object's apiVersion "${String(object.apiVersion)}" does not match the request's "${apiVersionOf(info)}"`,
    );
  }
  if (object.metadata === undefined || object.metadata === null) object.metadata = {};
  if (typeof object.metadata !== 'object' || Array.isArray(object.metadata)) {
    throw badRequest('metadata must be an object');
  }
  object.kind = info.kind;
  object.apiVersion = apiVersionOf(info);
  const metadata = object.metadata;
  if (info.namespaced) {
    if (
      metadata.namespace !== undefined &&
      metadata.namespace !== '' &&
      metadata.namespace !== route.namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    metadata.namespace = route.namespace;
  } else {
    delete metadata.namespace;
  }
  return object;
}

/** Fills a name from `generateName` (+5 random characters, as Kubernetes does) and checks it. */
export function nameForCreate(object: KubeObject, info: ResourceInfo): void {
  const metadata = object.metadata;
  if (!metadata.name && metadata.generateName) {
    metadata.name = `${metadata.generateName}${nameSuffix(randomInt)}`;
  }
  checkName(object, info);
}

export function checkName(object: KubeObject, info: ResourceInfo): void {
  const name = object.metadata.name;
  const kind = { group: info.group, kind: info.kind };
  if (typeof name !== 'string' || name === '') {
    throw invalid(kind, '', [
      { type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' },
    ]);
  }
  const problems = dns1123Subdomain(name);
  if (problems.length > 0) {
    throw invalid(kind, name, [
      { type: 'FieldValueInvalid', field: 'metadata.name', value: name, detail: problems.join('; ') },
    ]);
  }
}

/** Fields only the server sets; a client's values (kubectl sends `creationTimestamp: null`) are dropped. */
export function dropServerFields(object: KubeObject): void {
  const m = object.metadata;
  delete m.uid;
  delete m.resourceVersion;
  delete m.creationTimestamp;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.generation;
  delete m.managedFields;
}
