/**
 * Turns one command into one change against a read view, without touching the store: the rules of
 * create, update, updateStatus and delete (preconditions, generation, finalizers, graceful deletion).
 * Planning is separate from committing so that a transaction can plan all its commands first and
 * commit none if one fails.
 */
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  makeStatus,
  notFound,
  OBJECT_MODIFIED,
  StatusError,
} from '../api/errors.ts';
import { forbidden as forbiddenField, root } from '../api/field-errors.ts';
import type { KubeObject, ObjectMeta } from '../api/types/meta.ts';
import { deepFreeze, jsonEqual } from './canonical-json.ts';
import type {
  CreateCommand,
  DeleteCommand,
  ObjectCommand,
  Preconditions,
  UpdateCommand,
  UpdateStatusCommand,
} from './commands.ts';
import type { ChangeType } from './history.ts';
import { objectPath, type ResourceRef } from './keys.ts';
import { policyFor, type ResourcePolicy } from './policy.ts';

export interface StoreView {
  get(ref: ResourceRef, path: string): KubeObject | undefined;
}

export interface PlannedChange {
  readonly type: ChangeType;
  readonly group: string;
  readonly resource: string;
  readonly path: string;
  readonly object: KubeObject;
  readonly prevObject?: KubeObject;
}

/** A plan: the change to commit (none for a no-op) and the object to answer with. */
export interface Plan {
  readonly change?: PlannedChange;
  readonly object: KubeObject;
}

export interface PlanOptions {
  /** Namespaced objects may only be created in an existing, non-terminating namespace. */
  readonly requireNamespace: boolean;
}

const NAMESPACES: ResourceRef = { group: '', resource: 'namespaces' };

/** Plans `cmd` as revision `revision`. */
export function planCommand(
  view: StoreView,
  cmd: ObjectCommand,
  revision: number,
  options: PlanOptions,
): Plan | StatusError {
  const policy = policyFor(cmd);
  if (policy === undefined) return unknownResource(cmd);
  switch (cmd.op) {
    case 'create':
      return planCreate(view, policy, cmd, revision, options);
    case 'update':
      return planUpdate(view, policy, cmd, revision, false);
    case 'updateStatus':
      return planUpdate(view, policy, cmd, revision, true);
    case 'delete':
      return planDelete(view, policy, cmd, revision);
  }
}

/** Kubernetes' answer for a path it does not serve. */
export function unknownResource(ref: ResourceRef): StatusError {
  return new StatusError(
    makeStatus('NotFound', 'the server could not find the requested resource', {
      group: ref.group,
      kind: ref.resource,
    }),
  );
}

function namespaceOf(policy: ResourcePolicy, meta: ObjectMeta): string {
  return policy.namespaced ? (meta.namespace ?? '') : '';
}

function stamp(obj: KubeObject, policy: ResourcePolicy, revision: number): KubeObject {
  obj.apiVersion = policy.apiVersion;
  obj.kind = policy.kind;
  obj.metadata.resourceVersion = String(revision);
  return deepFreeze(obj);
}

function planCreate(
  view: StoreView,
  policy: ResourcePolicy,
  cmd: CreateCommand,
  revision: number,
  options: PlanOptions,
): Plan | StatusError {
  const obj = structuredClone(cmd.object);
  const meta = obj.metadata;
  const name = meta.name ?? '';
  if (name === '')
    return invalid({ group: policy.group, kind: policy.kind }, '', [
      { type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' },
    ]);
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '')
    return badRequest('resourceVersion should not be set on objects to be created');
  const namespace = namespaceOf(policy, meta);
  if (policy.namespaced && namespace === '')
    return invalid({ group: policy.group, kind: policy.kind }, name, [
      { type: 'FieldValueRequired', field: 'metadata.namespace', detail: '' },
    ]);
  const path = objectPath(namespace, name);
  if (view.get(policy, path) !== undefined) return alreadyExists(policy, name);
  if (policy.namespaced && options.requireNamespace) {
    const ns = view.get(NAMESPACES, objectPath('', namespace));
    if (ns === undefined) return notFound('namespaces', namespace);
    if (ns.metadata.deletionTimestamp !== undefined)
      return forbidden(
        policy,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
  }
  if (policy.namespaced) meta.namespace = namespace;
  else delete meta.namespace;
  meta.uid = cmd.uid;
  meta.creationTimestamp = cmd.creationTimestamp;
  meta.generation = 1;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  const stored = stamp(obj, policy, revision);
  return {
    change: { type: 'ADDED', group: policy.group, resource: policy.resource, path, object: stored },
    object: stored,
  };
}

/** Conflict on a stale resourceVersion or a different uid, in Kubernetes' words. */
function checkUpdatePreconditions(
  policy: ResourcePolicy,
  current: KubeObject,
  requested: ObjectMeta,
  pre: Preconditions | undefined,
): StatusError | undefined {
  const name = current.metadata.name ?? '';
  const uid = pre?.uid ?? requested.uid;
  if (uid !== undefined && uid !== '' && uid !== current.metadata.uid)
    return conflict(
      policy,
      name,
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
    );
  for (const rv of [pre?.resourceVersion, requested.resourceVersion])
    if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion)
      return conflict(policy, name, OBJECT_MODIFIED);
  return undefined;
}

function checkDeletePreconditions(
  policy: ResourcePolicy,
  current: KubeObject,
  pre: Preconditions | undefined,
): StatusError | undefined {
  const name = current.metadata.name ?? '';
  if (pre?.uid !== undefined && pre.uid !== current.metadata.uid)
    return conflict(
      policy,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
    );
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion)
    return conflict(
      policy,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
    );
  return undefined;
}

/** Everything but metadata and status: the part whose changes bump metadata.generation. */
function desiredState(obj: KubeObject): Record<string, unknown> {
  const {
    metadata: _m,
    status: _s,
    apiVersion: _a,
    kind: _k,
    ...rest
  } = obj as KubeObject & { status?: unknown };
  return rest;
}

/** Finalizers that block removal; a namespace's spec.finalizers count too. */
function pendingFinalizers(policy: ResourcePolicy, obj: KubeObject): number {
  let n = obj.metadata.finalizers?.length ?? 0;
  if (policy.resource === 'namespaces' && policy.group === '')
    n += ((obj as { spec?: { finalizers?: unknown[] } }).spec?.finalizers ?? []).length;
  return n;
}

function planUpdate(
  view: StoreView,
  policy: ResourcePolicy,
  cmd: UpdateCommand | UpdateStatusCommand,
  revision: number,
  statusOnly: boolean,
): Plan | StatusError {
  const requested = cmd.object.metadata;
  const name = requested.name ?? '';
  const path = objectPath(namespaceOf(policy, requested), name);
  const current = view.get(policy, path);
  if (current === undefined) return notFound(policy, name);
  if (statusOnly && !policy.hasStatus)
    return unknownResource({ group: policy.group, resource: `${policy.resource}/status` });
  const failed = checkUpdatePreconditions(policy, current, requested, cmd.preconditions);
  if (failed !== undefined) return failed;

  let next: KubeObject & { status?: unknown };
  if (statusOnly) {
    next = structuredClone(current) as KubeObject & { status?: unknown };
    const status = (cmd.object as { status?: unknown }).status;
    if (status === undefined) delete next.status;
    else next.status = structuredClone(status);
  } else {
    next = structuredClone(cmd.object) as KubeObject & { status?: unknown };
    const was = current as KubeObject & { status?: unknown };
    if (policy.hasStatus) {
      if (was.status === undefined) delete next.status;
      else next.status = structuredClone(was.status);
    }
    const meta = next.metadata;
    const old = current.metadata;
    // Identity and lifecycle fields belong to the store, not to the writer.
    meta.name = old.name;
    if (policy.namespaced) meta.namespace = old.namespace;
    else delete meta.namespace;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    if (old.deletionTimestamp === undefined) delete meta.deletionTimestamp;
    else meta.deletionTimestamp = old.deletionTimestamp;
    if (old.deletionGracePeriodSeconds === undefined) delete meta.deletionGracePeriodSeconds;
    else meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    if (old.deletionTimestamp !== undefined) {
      const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
      if (added.length > 0)
        return invalid({ group: policy.group, kind: policy.kind }, name, [
          forbiddenField(
            root('metadata').child('finalizers'),
            `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          ),
        ]);
    }
    meta.generation = jsonEqual(desiredState(next), desiredState(current))
      ? (old.generation ?? 1)
      : (old.generation ?? 1) + 1;
  }
  next.metadata.resourceVersion = current.metadata.resourceVersion;
  next.apiVersion = current.apiVersion;
  next.kind = current.kind;
  if (jsonEqual(next, current)) return { object: current };

  const stored = stamp(next, policy, revision);
  const remove =
    stored.metadata.deletionTimestamp !== undefined &&
    pendingFinalizers(policy, stored) === 0 &&
    (stored.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  return {
    change: {
      type: remove ? 'DELETED' : 'MODIFIED',
      group: policy.group,
      resource: policy.resource,
      path,
      object: stored,
      prevObject: current,
    },
    object: stored,
  };
}

function planDelete(
  view: StoreView,
  policy: ResourcePolicy,
  cmd: DeleteCommand,
  revision: number,
): Plan | StatusError {
  const path = objectPath(policy.namespaced ? cmd.namespace : '', cmd.name);
  const current = view.get(policy, path);
  if (current === undefined) return notFound(policy, cmd.name);
  const failed = checkDeletePreconditions(policy, current, cmd.preconditions);
  if (failed !== undefined) return failed;
  const grace = Math.max(0, cmd.gracePeriodSeconds ?? 0);
  const finalizers = pendingFinalizers(policy, current);
  const old = current.metadata;

  if (finalizers > 0 || grace > 0) {
    // The object stays, marked for deletion, until its finalizers are gone (and, for a graceful
    // deletion, until it is deleted again with grace 0). A second delete may only shorten the grace.
    const oldGrace = old.deletionGracePeriodSeconds;
    const newGrace = oldGrace === undefined ? grace : Math.min(oldGrace, grace);
    if (old.deletionTimestamp !== undefined && newGrace === oldGrace) return { object: current };
    if (finalizers === 0 && grace === 0) return planRemove(policy, current, path, revision);
    const next = structuredClone(current) as KubeObject & { status?: { phase?: string } };
    const meta = next.metadata;
    if (meta.deletionTimestamp === undefined || newGrace !== oldGrace)
      meta.deletionTimestamp = cmd.deletionTimestamp;
    meta.deletionGracePeriodSeconds = newGrace;
    meta.generation = (old.generation ?? 1) + 1;
    if (policy.resource === 'namespaces' && policy.group === '')
      next.status = { ...next.status, phase: 'Terminating' };
    const stored = stamp(next, policy, revision);
    return {
      change: {
        type: 'MODIFIED',
        group: policy.group,
        resource: policy.resource,
        path,
        object: stored,
        prevObject: current,
      },
      object: stored,
    };
  }
  return planRemove(policy, current, path, revision);
}

function planRemove(policy: ResourcePolicy, current: KubeObject, path: string, revision: number): Plan {
  // The DELETED event carries the last state under the revision of the deletion, as Kubernetes does.
  const stored = stamp(structuredClone(current), policy, revision);
  return {
    change: {
      type: 'DELETED',
      group: policy.group,
      resource: policy.resource,
      path,
      object: stored,
      prevObject: current,
    },
    object: stored,
  };
}
