/**
 * The verbs on objects: get, list, create, update (PUT, incl. /status), patch (incl. /status),
 * delete and deletecollection. Each reads and writes only through the ObjectBackend.
 */
import type { KubeObject } from '../../api/types/meta.ts';
import { checkEnvelope, dropServerFields, nameForCreate } from '../admission.ts';
import { checkObjectFields, checkPatchedFields } from '../field-validation.ts';
import { applyPatch, type JsonObject, patchContentTypes } from '../patch/index.ts';
import { admitPriorityOnCreate, admitPriorityOnUpdate } from '../priority-admission.ts';
import { alreadyExists, badRequest, isStatusError } from '../status.ts';
import { type HandlerContext, type HandlerResult, keyOf, refOf, timestamp } from './context.ts';

const ok = (body: object, code = 200, warnings: readonly string[] = []): HandlerResult => ({
  code,
  body,
  resourceBody: true,
  ...(warnings.length > 0 ? { warnings } : {}),
});

/** ?fieldValidation, Warn when absent (Kubernetes' default). */
const directive = (ctx: HandlerContext) => ctx.query.fieldValidation ?? 'Warn';

export async function getObject(ctx: HandlerContext): Promise<HandlerResult> {
  return ok(await ctx.backend.get(keyOf(ctx)));
}

export async function listObjects(ctx: HandlerContext): Promise<HandlerResult> {
  const q = ctx.query;
  const list = await ctx.backend.list(refOf(ctx), {
    namespace: ctx.route.namespace,
    labelSelector: q.labelSelector,
    fieldSelector: q.fieldSelector,
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.continueToken !== undefined ? { continue: q.continueToken } : {}),
    ...(q.resourceVersion !== undefined && q.resourceVersionMatch === 'Exact'
      ? { resourceVersion: q.resourceVersion, resourceVersionMatch: 'Exact' as const }
      : {}),
  });
  return ok(list);
}

export async function createObject(ctx: HandlerContext): Promise<HandlerResult> {
  const { object, warnings } = checkObjectFields(
    directive(ctx),
    ctx.info,
    checkEnvelope(ctx.body, ctx.info, ctx.route),
    ctx.duplicateFields,
  );
  dropServerFields(object);
  nameForCreate(object, ctx.info);
  const uid = ctx.newUid();
  await admitPriorityOnCreate(ctx.backend, ctx.info, object);
  const admitted = ctx.admission.admitCreate(ctx.info, object, uid);
  const creationTimestamp = timestamp(ctx.now());
  if (ctx.query.dryRun) {
    const existing = await findObject(ctx, admitted.metadata.name!);
    if (existing) throw alreadyExists(refOf(ctx), admitted.metadata.name!);
    return ok({ ...admitted, metadata: { ...admitted.metadata, uid, creationTimestamp } }, 201, warnings);
  }
  const created = await ctx.backend.create({
    op: 'create',
    ...refOf(ctx),
    object: admitted,
    uid,
    creationTimestamp,
  });
  return ok(created, 201, warnings);
}

export async function updateObject(ctx: HandlerContext): Promise<HandlerResult> {
  const { object, warnings } = checkObjectFields(
    directive(ctx),
    ctx.info,
    checkEnvelope(ctx.body, ctx.info, ctx.route),
    ctx.duplicateFields,
  );
  if (object.metadata.name !== undefined && object.metadata.name !== ctx.route.name) {
    throw badRequest(
      `the name of the object (${object.metadata.name}) does not match the name on the URL (${ctx.route.name})`,
    );
  }
  object.metadata.name = ctx.route.name;
  const old = await ctx.backend.get(keyOf(ctx));
  const resourceVersion = object.metadata.resourceVersion;
  return ok(await write(ctx, object, old, resourceVersion ? { resourceVersion } : undefined), 200, warnings);
}

/** Patches are applied to the current object and written with its resourceVersion as the
 * precondition; a concurrent change makes the write Conflict and the patch is re-applied. */
export async function patchObject(ctx: HandlerContext): Promise<HandlerResult> {
  for (let attempt = 0; ; attempt++) {
    const old = await ctx.backend.get(keyOf(ctx));
    const patched = applyPatch(
      ctx.contentType,
      old as unknown as JsonObject,
      ctx.body as JsonObject,
      ctx.info.group,
      ctx.info.kind,
    ) as unknown as KubeObject;
    const { object, warnings } = checkPatchedFields(
      directive(ctx),
      ctx.info,
      checkEnvelope(patched, ctx.info, ctx.route),
      old,
      { strategic: isStrategic(ctx.contentType), body: ctx.body, duplicates: ctx.duplicateFields },
    );
    if (object.metadata.name !== ctx.route.name) {
      throw badRequest(
        `a patch cannot change metadata.name (from "${ctx.route.name}" to "${object.metadata.name}")`,
      );
    }
    // A resourceVersion the client put in the patch is its own precondition: never retried.
    const explicit = object.metadata.resourceVersion !== old.metadata.resourceVersion;
    const resourceVersion = object.metadata.resourceVersion ?? old.metadata.resourceVersion;
    try {
      const written = await write(ctx, object, old, resourceVersion ? { resourceVersion } : undefined);
      return ok(written, 200, warnings);
    } catch (error) {
      if (explicit || attempt >= 4 || !isStatusError(error) || error.reason !== 'Conflict') throw error;
    }
  }
}

const isStrategic = (contentType: string): boolean =>
  contentType.split(';')[0]!.trim().toLowerCase() === patchContentTypes.strategic;

async function write(
  ctx: HandlerContext,
  object: KubeObject,
  old: KubeObject,
  preconditions: { resourceVersion: string } | undefined,
): Promise<KubeObject> {
  // A uid in the body names the object the client means: a different one (deleted and recreated
  // meanwhile) is a Conflict, checked by the store; otherwise identity comes from the stored object.
  const uid = object.metadata.uid;
  const all = { ...preconditions, ...(uid ? { uid } : {}) };
  object.metadata.uid = old.metadata.uid!;
  object.metadata.creationTimestamp = old.metadata.creationTimestamp ?? null;
  if (old.metadata.generation !== undefined) object.metadata.generation = old.metadata.generation;
  if (old.metadata.deletionTimestamp !== undefined)
    object.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
  delete object.metadata.managedFields;
  await admitPriorityOnUpdate(ctx.backend, ctx.info, object, old);
  const admitted = ctx.admission.admitUpdate(ctx.info, object, old);
  if (ctx.query.dryRun) return admitted;
  const status = ctx.route.subresource === 'status';
  return ctx.backend.update({
    op: status ? 'updateStatus' : 'update',
    ...refOf(ctx),
    object: admitted,
    ...(Object.keys(all).length > 0 ? { preconditions: all } : {}),
  });
}

interface DeleteOptionsBody {
  propagationPolicy?: unknown;
  gracePeriodSeconds?: unknown;
  preconditions?: { uid?: unknown; resourceVersion?: unknown } | null;
  dryRun?: unknown;
}

/** DeleteOptions from the body (kubectl sends `{"propagationPolicy":"Background"}`) and the query. */
function deleteOptions(ctx: HandlerContext): {
  gracePeriodSeconds?: number;
  uid?: string;
  resourceVersion?: string;
  dryRun: boolean;
} {
  const body = (ctx.body ?? {}) as DeleteOptionsBody;
  if (typeof body !== 'object' || Array.isArray(body))
    throw badRequest('the DeleteOptions body must be an object');
  const grace = body.gracePeriodSeconds ?? ctx.query.gracePeriodSeconds;
  if (
    grace !== undefined &&
    grace !== null &&
    (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0)
  ) {
    throw badRequest('gracePeriodSeconds must be a non-negative integer');
  }
  const pre = body.preconditions ?? {};
  if (pre.uid !== undefined && pre.uid !== null && typeof pre.uid !== 'string')
    throw badRequest('preconditions.uid must be a string');
  if (
    pre.resourceVersion !== undefined &&
    pre.resourceVersion !== null &&
    typeof pre.resourceVersion !== 'string'
  ) {
    throw badRequest('preconditions.resourceVersion must be a string');
  }
  const dryRun = ctx.query.dryRun || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
  return {
    ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}),
    ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
    ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
    dryRun,
  };
}

export async function deleteObject(ctx: HandlerContext): Promise<HandlerResult> {
  const options = deleteOptions(ctx);
  return ok(await deleteOne(ctx, ctx.route.name, options));
}

async function deleteOne(
  ctx: HandlerContext,
  name: string,
  options: ReturnType<typeof deleteOptions>,
): Promise<KubeObject> {
  const key = { ...keyOf(ctx), name };
  if (options.dryRun) return ctx.backend.get(key);
  const preconditions = {
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.resourceVersion !== undefined ? { resourceVersion: options.resourceVersion } : {}),
  };
  const { object } = await ctx.backend.delete({
    op: 'delete',
    ...refOf(ctx),
    namespace: key.namespace,
    name,
    deletionTimestamp: timestamp(ctx.now()),
    ...(Object.keys(preconditions).length > 0 ? { preconditions } : {}),
    ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
  });
  return object;
}

/** Deletes every selected object; objects deleted meanwhile by someone else are skipped. */
export async function deleteCollection(ctx: HandlerContext): Promise<HandlerResult> {
  const options = deleteOptions(ctx);
  const list = await ctx.backend.list(refOf(ctx), {
    namespace: ctx.route.namespace,
    labelSelector: ctx.query.labelSelector,
    fieldSelector: ctx.query.fieldSelector,
  });
  const deleted: KubeObject[] = [];
  for (const item of list.items) {
    try {
      deleted.push(await deleteOne(ctx, item.metadata.name!, { ...options, uid: item.metadata.uid! }));
    } catch (error) {
      if (!(isStatusError(error) && (error.reason === 'NotFound' || error.reason === 'Conflict')))
        throw error;
    }
  }
  return ok({ ...list, items: deleted });
}

async function findObject(ctx: HandlerContext, name: string): Promise<KubeObject | undefined> {
  try {
    return await ctx.backend.get({ ...keyOf(ctx), name });
  } catch (error) {
    if (isStatusError(error) && error.reason === 'NotFound') return undefined;
    throw error;
  }
}
