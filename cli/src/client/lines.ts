/** Splits a byte stream into lines (watch events are one JSON object per line). Pure. */
export class LineSplitter {
  #pending = '';

  /** Feeds a chunk; returns the complete, non-empty lines it finished. */
  push(chunk: string): string[] {
    const text = this.#pending + chunk;
    const parts = text.split('\n');
    this.#pending = parts.pop() ?? '';
    return parts.map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  }

  /** What is left when the stream ends (a last line without a newline). */
  flush(): string[] {
    const rest = this.#pending.trim();
    this.#pending = '';
    return rest === '' ? [] : [rest];
  }
}
