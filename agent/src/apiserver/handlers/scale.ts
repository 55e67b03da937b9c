/**
 * The `scale` subresource (autoscaling/v1 Scale) of deployments, replicasets and statefulsets:
 * `kubectl scale` PATCHes it with a merge patch, or GETs and PUTs it with --current-replicas.
 */
import { formatSelector, selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { KubeObject, LabelSelector } from '../../api/types/meta.ts';
import { checkObjectFields, checkPatchedFields, type DecodedKind } from '../field-validation.ts';
import { applyPatch, type JsonObject, patchContentTypes } from '../patch/index.ts';
import { badRequest, conflict, invalid, isStatusError } from '../status.ts';
import { type HandlerContext, type HandlerResult, keyOf, refOf } from './context.ts';

interface Scalable extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector };
  status?: { replicas?: number };
}

export interface Scale {
  kind: 'Scale';
  apiVersion: 'autoscaling/v1';
  metadata: KubeObject['metadata'];
  spec: { replicas: number };
  status: { replicas: number; selector: string };
}

export function toScale(object: Scalable): Scale {
  const m = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name!,
      namespace: m.namespace!,
      uid: m.uid!,
      resourceVersion: m.resourceVersion!,
      creationTimestamp: m.creationTimestamp ?? null,
    },
    spec: { replicas: object.spec?.replicas ?? 0 },
    status: {
      replicas: object.status?.replicas ?? 0,
      selector: formatSelector(selectorFromLabelSelector(object.spec?.selector)),
    },
  };
}

const result = (body: object, warnings: readonly string[] = []): HandlerResult => ({
  code: 200,
  body,
  resourceBody: false,
  ...(warnings.length > 0 ? { warnings } : {}),
});

const scaleKind: DecodedKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

export async function getScale(ctx: HandlerContext): Promise<HandlerResult> {
  return result(toScale((await ctx.backend.get(keyOf(ctx))) as Scalable));
}

export async function updateScale(ctx: HandlerContext): Promise<HandlerResult> {
  const body = ctx.body as Partial<Scale> | null;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the body must be a Scale object');
  if (body.kind !== undefined && body.kind !== 'Scale')
    throw badRequest(`expected kind Scale, got "${String(body.kind)}"`);
  const { warnings } = checkObjectFields(
    ctx.query.fieldValidation ?? 'Warn',
    scaleKind,
    body,
    ctx.duplicateFields,
  );
  const object = (await ctx.backend.get(keyOf(ctx))) as Scalable;
  const wanted = body.metadata?.resourceVersion;
  if (wanted && wanted !== object.metadata.resourceVersion) {
    throw conflict(refOf(ctx), ctx.route.name);
  }
  return result(
    await setReplicas(ctx, object, body.spec?.replicas, wanted || object.metadata.resourceVersion!),
    warnings,
  );
}

export async function patchScale(ctx: HandlerContext): Promise<HandlerResult> {
  for (let attempt = 0; ; attempt++) {
    const object = (await ctx.backend.get(keyOf(ctx))) as Scalable;
    const scale = toScale(object);
    const patched = applyPatch(
      ctx.contentType,
      scale as unknown as JsonObject,
      ctx.body as JsonObject,
      'autoscaling',
      'Scale',
    ) as unknown as Partial<Scale>;
    const { warnings } = checkPatchedFields(ctx.query.fieldValidation ?? 'Warn', scaleKind, patched, scale, {
      strategic: ctx.contentType.split(';')[0]!.trim().toLowerCase() === patchContentTypes.strategic,
      body: ctx.body,
      duplicates: ctx.duplicateFields,
    });
    try {
      const scaled = await setReplicas(ctx, object, patched.spec?.replicas, object.metadata.resourceVersion!);
      return result(scaled, warnings);
    } catch (error) {
      if (attempt >= 4 || !isStatusError(error) || error.reason !== 'Conflict') throw error;
    }
  }
}

async function setReplicas(
  ctx: HandlerContext,
  object: Scalable,
  replicas: unknown,
  resourceVersion: string,
): Promise<Scale> {
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid({ group: 'autoscaling', kind: 'Scale' }, ctx.route.name, [
      {
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        value: replicas,
        detail: 'must be greater than or equal to 0',
      },
    ]);
  }
  const next = structuredClone(object) as Scalable;
  next.spec = { ...next.spec, replicas };
  const admitted = ctx.admission.admitUpdate(ctx.info, next, object);
  if (ctx.query.dryRun) return toScale(admitted as Scalable);
  const updated = await ctx.backend.update({
    op: 'update',
    ...refOf(ctx),
    object: admitted,
    preconditions: { resourceVersion },
  });
  return toScale(updated as Scalable);
}
