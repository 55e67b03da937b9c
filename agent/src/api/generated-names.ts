/**
 * Kubernetes' alphabet for generated names (no vowels, no look-alike digits) and the 5-character
 * suffix made from it: what the API server adds to `generateName`, and what controllers add to
 * the names of the objects they create.
 */

export const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * Five characters of the alphabet, each at the index `pick(n)` returns (below n): node:crypto's
 * randomInt where names must not be guessed, a seeded source where tests replay them.
 */
export function nameSuffix(pick: (n: number) => number): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_ALPHABET[pick(NAME_ALPHABET.length)] ?? 'b';
  return s;
}

/** An index chooser over a [0, 1) source such as Math.random or a seeded generator. */
export function pickWith(random: () => number): (n: number) => number {
  return (n) => Math.floor(random() * n) % n;
}
