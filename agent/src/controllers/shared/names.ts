/** Generated names: `<owner>-<5 chars>` from Kubernetes' alphabet (no vowels, no look-alike digits). */
import { NAME_ALPHABET as ALPHABET, nameSuffix, pickWith } from '../../api/generated-names.ts';

const MAX_NAME = 63;

/** Five random characters drawn from `random` (an injected source, so that tests replay). */
export function randomSuffix(random: () => number): string {
  return nameSuffix(pickWith(random));
}

/** `<base>-<suffix>`, the base cut so the name stays a valid 63-character label. */
export function generatedName(base: string, random: () => number): string {
  const prefix = base.length > MAX_NAME - 6 ? base.slice(0, MAX_NAME - 6) : base;
  return `${prefix}-${randomSuffix(random)}`;
}

/** Kubernetes' SafeEncodeString: each byte mapped into the same alphabet. */
export function safeEncode(text: string): string {
  let s = '';
  for (let i = 0; i < text.length; i++) s += ALPHABET[text.charCodeAt(i) % ALPHABET.length] ?? 'b';
  return s;
}

/** A small seeded generator (mulberry32) for controllers that need replayable names. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
