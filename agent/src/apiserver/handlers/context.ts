import type { ResourceInfo } from '../../api/registry.ts';
import type { ObjectAdmission } from '../admission.ts';
import type { ObjectBackend } from '../backend.ts';
import type { RequestQuery } from '../request/query.ts';
import type { ResourceRoute } from '../request/route.ts';

/** Everything a resource handler needs for one request. */
export interface HandlerContext {
  readonly backend: ObjectBackend;
  readonly admission: ObjectAdmission;
  readonly info: ResourceInfo;
  readonly route: ResourceRoute;
  readonly query: RequestQuery;
  /** The decoded body (create/update/delete options) or the raw patch document. */
  readonly body: unknown;
  /** Keys the body's JSON text repeats (`spec.replicas`), for strict field validation. */
  readonly duplicateFields: readonly string[];
  readonly contentType: string;
  readonly now: () => Date;
  readonly newUid: () => string;
}

/** A handler's answer: an HTTP status and a JSON body (an object, a list or a Status). */
export interface HandlerResult {
  readonly code: number;
  readonly body: object;
  /** True when `body` is an object or list of the resource's kind (so it may be shown as a Table). */
  readonly resourceBody: boolean;
  /** Sent as `Warning: 299 - "..."` headers, which kubectl prints (field validation's Warn). */
  readonly warnings?: readonly string[];
}

/** RFC 3339 at second precision, as Kubernetes writes timestamps. */
export const timestamp = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`;

export const refOf = (ctx: HandlerContext) => ({ group: ctx.info.group, resource: ctx.info.resource });

export const keyOf = (ctx: HandlerContext) => ({
  ...refOf(ctx),
  namespace: ctx.info.namespaced ? ctx.route.namespace : '',
  name: ctx.route.name,
});
