/**
 * Newline-delimited JSON, the API's watch format: bytes arrive in arbitrary chunks, a line may
 * span several chunks and a chunk may hold several lines.
 */

/**
 * Splits buffered text plus a new chunk into complete lines and the unfinished rest.
 * @param {string} rest text left over from the previous chunk
 * @param {string} chunk
 * @returns {{ lines: string[], rest: string }}
 */
export function splitLines(rest, chunk) {
  const text = rest + chunk;
  const parts = text.split('\n');
  const tail = parts.pop() ?? '';
  return { lines: parts.map((l) => l.trim()).filter((l) => l !== ''), rest: tail };
}

/**
 * The JSON values of a streamed body, one per line, until the stream ends or `signal` aborts.
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<unknown>}
 */
export async function* ndjsonValues(body) {
  // DOM's typings give TextDecoderStream a BufferSource writable; Uint8Array chunks are what it takes.
  const decoder = /** @type {TransformStream<Uint8Array, string>} */ (
    /** @type {unknown} */ (new TextDecoderStream())
  );
  const reader = body.pipeThrough(decoder).getReader();
  let rest = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const split = splitLines(rest, value);
      rest = split.rest;
      for (const line of split.lines) yield JSON.parse(line);
    }
    if (rest.trim() !== '') yield JSON.parse(rest);
  } finally {
    // Leaving early (abort, a 410 ERROR event) must close the connection, not leave it half read.
    reader.cancel().catch((error) => console.debug('watch stream already closed', error));
  }
}
