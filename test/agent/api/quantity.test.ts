import { describe, expect, it } from 'vitest';
import {
  addQuantities,
  compareQuantities,
  formatQuantity,
  isQuantity,
  parseQuantity,
  QuantityError,
  quantityMilliValue,
  quantityValue,
  subtractQuantities,
} from '../../../agent/src/api/index.ts';

describe('quantities', () => {
  it('compares equal values written differently, exactly', () => {
    expect(compareQuantities('1Gi', '1073741824')).toBe(0);
    expect(compareQuantities('1024Mi', '1Gi')).toBe(0);
    expect(compareQuantities('0.5', '500m')).toBe(0);
    expect(compareQuantities('1e3', '1k')).toBe(0);
    expect(compareQuantities('1E3', '1000')).toBe(0);
    expect(compareQuantities('1k', '1Ki')).toBe(-1);
    expect(compareQuantities('100m', '0.1')).toBe(0);
    expect(compareQuantities('1n', '0')).toBe(1);
    expect(compareQuantities('-1', '0')).toBe(-1);
    expect(compareQuantities('1.', '1')).toBe(0);
    expect(compareQuantities('.5', '500m')).toBe(0);
    expect(compareQuantities('+2', '2')).toBe(0);
    // 0.1 + 0.2 is exactly 0.3 here, unlike floats.
    expect(compareQuantities(addQuantities('0.1', '0.2'), '300m')).toBe(0);
    expect(formatQuantity(subtractQuantities('1', '250m'))).toBe('750m');
  });

  it('knows E (exa) from an exponent', () => {
    expect(compareQuantities('1E', '1e18')).toBe(0);
    expect(quantityValue('2E')).toBe(2_000_000_000_000_000_000n);
  });

  it('rejects malformed text', () => {
    for (const bad of [
      '',
      '.',
      'Ki',
      '1KB',
      '1 Ki',
      'e3',
      '1e',
      '1e3.5',
      '1m3',
      '1.2.3',
      '--1',
      '1Kib',
      'one',
    ])
      expect(isQuantity(bad), bad).toBe(false);
    expect(() => parseQuantity('12 apples')).toThrow(QuantityError);
  });

  it('rounds milli and whole values up, as Kubernetes does', () => {
    expect(quantityMilliValue('0.5')).toBe(500n);
    expect(quantityMilliValue('1')).toBe(1000n);
    expect(quantityMilliValue('0.0001')).toBe(1n);
    expect(quantityValue('1500m')).toBe(2n);
    expect(quantityValue('512Mi')).toBe(536870912n);
  });

  it('prints the canonical form', () => {
    expect(formatQuantity('1000m')).toBe('1');
    expect(formatQuantity('1500m')).toBe('1500m');
    expect(formatQuantity('0.5')).toBe('500m');
    expect(formatQuantity('1024Mi')).toBe('1Gi');
    expect(formatQuantity('1536Mi')).toBe('1536Mi');
    expect(formatQuantity('0.5Ki')).toBe('512');
    expect(formatQuantity('0.1Ki')).toBe('102400m');
    expect(formatQuantity('12000')).toBe('12k');
    expect(formatQuantity('1e3')).toBe('1e3');
    expect(formatQuantity('1e-12')).toBe('1e-9');
    expect(formatQuantity('0.0000000001')).toBe('1n');
    expect(formatQuantity('-100m')).toBe('-100m');
    expect(formatQuantity('0Gi')).toBe('0');
  });
});
