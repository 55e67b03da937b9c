import type { IncomingMessage } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { decodeProtobufObject, protobufContentType } from './protobuf/decode.ts';
import { bodyFormat } from './request/media-types.ts';
import {
  badRequest,
  makeStatus,
  requestEntityTooLarge,
  StatusError,
  unsupportedMediaType,
} from './status.ts';

/** Kubernetes' limit for a request body (3 MiB): larger bodies get 413 and are never buffered whole. */
export const maxBodyBytes = 3 * 1024 * 1024;

/** Reads the body up to `limit` bytes; past that it stops reading and throws RequestEntityTooLarge. */
export async function readBody(req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw requestEntityTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw requestEntityTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Decodes a create/update body: JSON, YAML holding exactly one document, or protobuf for the kinds
 * kubectl 1.33's typed clients send that way. */
export function decodeObjectBody(body: Buffer, contentType: string | undefined): unknown {
  if ((contentType ?? '').split(';')[0]!.trim().toLowerCase() === protobufContentType) {
    return decodeProtobufObject(body);
  }
  const format = bodyFormat(contentType);
  if (format === undefined) {
    throw unsupportedMediaType(contentType ?? '', ['application/json', 'application/yaml']);
  }
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty; send the object as JSON or YAML');
  return format === 'json' ? decodeJson(text) : decodeYaml(text);
}

export function decodeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the request body is not valid JSON: ${(error as Error).message}`);
  }
}

function decodeYaml(text: string): unknown {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents))
    throw badRequest('the request body is empty; send the object as JSON or YAML');
  if (documents.length !== 1) {
    throw badRequest(
      `the request body holds ${documents.length} YAML documents; send one object per request`,
    );
  }
  const document = documents[0]!;
  const problem = document.errors[0];
  if (problem) throw badRequest(`the request body is not valid YAML: ${problem.message}`);
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new StatusError(
      makeStatus('BadRequest', `the request body is not valid YAML: ${(error as Error).message}`),
    );
  }
}
