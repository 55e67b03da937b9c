/**
 * Kubernetes resource quantities (`100m`, `0.5`, `1Gi`, `512Mi`, `1e3`, `1k`) parsed into an exact
 * decimal: value = ±mantissa × 10^exponent with a bigint mantissa, so `1Gi` and `1073741824` compare equal
 * and `0.1` + `0.2` is exactly `300m`. Binary suffixes are powers of 1024, which are integers, so they
 * fold into the mantissa without loss.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  readonly negative: boolean;
  readonly mantissa: bigint;
  readonly exponent: number;
  /** The suffix family of the source text, which the canonical string keeps (as Kubernetes does). */
  readonly format: QuantityFormat;
}

/** A string that is not a quantity. */
export class QuantityError extends Error {
  readonly kind = 'Invalid' as const;
  constructor(text: string) {
    super(
      `quantity ${JSON.stringify(text)} is not valid: write a number with an optional suffix such as 100m, 0.5, 512Mi, 1Gi, 1e3 or 1k`,
    );
    this.name = 'QuantityError';
  }
}

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIX).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;

/** Parses or returns undefined; for validators that report their own field errors. */
export function tryParseQuantity(text: string): Quantity | undefined {
  const m = NUMBER.exec(text);
  if (m === null) return undefined;
  const [, sign = '', whole = '', frac = '', suffix = ''] = m;
  if (whole === '' && frac === '') return undefined;
  // `1.` is legal in Kubernetes' grammar; `.` alone is not (checked above).
  let mantissa = BigInt(`${whole}${frac}` || '0');
  let exponent = -frac.length;
  let format: QuantityFormat;
  const binary = BINARY_SUFFIX[suffix];
  const exp = EXPONENT.exec(suffix);
  if (binary !== undefined) {
    mantissa *= 1024n ** BigInt(binary);
    format = 'BinarySI';
  } else if (Object.hasOwn(DECIMAL_SUFFIX, suffix)) {
    exponent += DECIMAL_SUFFIX[suffix] ?? 0;
    format = 'DecimalSI';
  } else if (exp !== null) {
    const e = Number(exp[1]);
    if (!Number.isSafeInteger(e) || Math.abs(e) > 1000) return undefined;
    exponent += e;
    format = 'DecimalExponent';
  } else {
    return undefined;
  }
  return normalise({ negative: sign === '-' && mantissa !== 0n, mantissa, exponent, format });
}

/** Parses a quantity; throws QuantityError for text that is not one. */
export function parseQuantity(text: string): Quantity {
  const q = tryParseQuantity(text);
  if (q === undefined) throw new QuantityError(text);
  return q;
}

export const isQuantity = (text: string): boolean => tryParseQuantity(text) !== undefined;

/** Strips trailing zeros from the mantissa so that equal values have one representation. */
function normalise(q: Quantity): Quantity {
  let { mantissa, exponent } = q;
  if (mantissa === 0n) return { negative: false, mantissa: 0n, exponent: 0, format: q.format };
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  return { negative: q.negative, mantissa, exponent, format: q.format };
}

function signed(q: Quantity): bigint {
  return q.negative ? -q.mantissa : q.mantissa;
}

/** Both values as bigints at a common exponent. */
function align(a: Quantity, b: Quantity): [bigint, bigint, number] {
  const e = Math.min(a.exponent, b.exponent);
  return [signed(a) * 10n ** BigInt(a.exponent - e), signed(b) * 10n ** BigInt(b.exponent - e), e];
}

/** -1, 0 or 1, exactly. Accepts text or parsed quantities. */
export function compareQuantities(a: Quantity | string, b: Quantity | string): -1 | 0 | 1 {
  const [x, y] = align(asQuantity(a), asQuantity(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

function asQuantity(q: Quantity | string): Quantity {
  return typeof q === 'string' ? parseQuantity(q) : q;
}

export function addQuantities(a: Quantity | string, b: Quantity | string): Quantity {
  const qa = asQuantity(a);
  const [x, y, e] = align(qa, asQuantity(b));
  const sum = x + y;
  return normalise({ negative: sum < 0n, mantissa: sum < 0n ? -sum : sum, exponent: e, format: qa.format });
}

export function subtractQuantities(a: Quantity | string, b: Quantity | string): Quantity {
  const qb = asQuantity(b);
  return addQuantities(a, { ...qb, negative: !qb.negative && qb.mantissa !== 0n });
}

/** value × 10^scale rounded up (towards +∞), as Kubernetes' ScaledValue does. */
function scaledCeil(q: Quantity, scale: number): bigint {
  const e = q.exponent + scale;
  const v = signed(q);
  if (e >= 0) return v * 10n ** BigInt(e);
  const d = 10n ** BigInt(-e);
  const quotient = v / d;
  return v % d !== 0n && v > 0n ? quotient + 1n : quotient;
}

/** Whole units rounded up: `1500m` -> 2, `1Ki` -> 1024. */
export const quantityValue = (q: Quantity | string): bigint => scaledCeil(asQuantity(q), 0);
/** Thousandths rounded up: `0.5` -> 500, `1` -> 1000 (CPU in millicores). */
export const quantityMilliValue = (q: Quantity | string): bigint => scaledCeil(asQuantity(q), 3);
/** A float for arithmetic where exactness does not matter (ratios, percentages). */
export const quantityToNumber = (q: Quantity | string): number => {
  const p = asQuantity(q);
  return Number(signed(p)) * 10 ** p.exponent;
};

/** The canonical text Kubernetes would print: `1000m` -> `1`, `1024Mi` -> `1Gi`, `0.5` -> `500m`. */
export function formatQuantity(q: Quantity | string): string {
  let p = asQuantity(q);
  if (p.mantissa === 0n) return '0';
  const sign = p.negative ? '-' : '';
  if (p.exponent < -9) {
    // Below nano precision Kubernetes rounds away from zero to the nearest nano.
    const nanos = scaledCeil({ ...p, negative: false }, 9);
    p = normalise({ negative: p.negative, mantissa: nanos, exponent: -9, format: p.format });
  }
  if (p.format === 'BinarySI' && p.exponent >= 0) {
    let v = p.mantissa * 10n ** BigInt(p.exponent);
    if (v >= 1024n) {
      let power = 0;
      while (power < 6 && v % 1024n === 0n) {
        v /= 1024n;
        power += 1;
      }
      return `${sign}${v}${BINARY_BY_POWER[power]}`;
    }
  }
  // Decimal forms: the largest multiple-of-3 exponent that keeps the mantissa whole.
  let e3 = Math.floor(p.exponent / 3) * 3;
  if (p.format !== 'DecimalExponent') e3 = Math.min(Math.max(e3, -9), 18);
  const mantissa = p.mantissa * 10n ** BigInt(p.exponent - e3);
  if (p.format === 'DecimalExponent') return e3 === 0 ? `${sign}${mantissa}` : `${sign}${mantissa}e${e3}`;
  return `${sign}${mantissa}${DECIMAL_BY_EXPONENT.get(e3) ?? ''}`;
}
