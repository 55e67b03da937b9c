/**
 * The small HTTP vocabulary of /kedge/v1 (cluster-endpoint.ts, operations-endpoint.ts): a problem
 * with an HTTP code and a Kubernetes Status reason, JSON bodies in and out.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatusReason } from '../api/types/meta.ts';

export class HttpProblem extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly headers: Record<string, string>;
  constructor(code: number, reason: StatusReason, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.headers = headers;
  }
}

/** A route that wrote its own response (a stream) returns this instead of a JSON body. */
export const RESPONDED: unique symbol = Symbol('responded');

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024)
      throw new HttpProblem(413, 'RequestEntityTooLarge', 'the body is larger than 64 KiB');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch (error) {
    throw new HttpProblem(400, 'BadRequest', `the body is not JSON: ${(error as Error).message}`);
  }
}

export function writeJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}
