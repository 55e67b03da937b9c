import { badRequest } from '../status.ts';

/**
 * RFC 6901 JSON pointers: "/a/b~1c/~0d" -> ["a", "b/c", "~d"]. The empty string points at the
 * whole document.
 */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw badRequest(`invalid JSON pointer "${pointer}": it must be empty or start with "/"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) {
        throw badRequest(`invalid JSON pointer "${pointer}": "~" must be followed by 0 or 1`);
      }
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

/** The inverse of parseJsonPointer. */
export function formatJsonPointer(tokens: readonly string[]): string {
  return tokens.map((t) => `/${t.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** An array index token: digits without leading zeros ("-" is handled by the caller). */
export function parseArrayIndex(token: string): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const index = Number(token);
  return Number.isSafeInteger(index) ? index : undefined;
}
