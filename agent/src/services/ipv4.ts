/** IPv4 addresses as unsigned 32-bit numbers, and CIDR ranges over them. Pure. */

export interface Ipv4Range {
  /** The network address as a number (host bits zero). */
  readonly base: number;
  readonly prefixLength: number;
  /** How many addresses the range spans, network and broadcast included. */
  readonly size: number;
  readonly cidr: string;
}

/** The address as a number, or undefined when it is not dotted-quad IPv4. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const octet = Number(p);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `a.b.c.d/len` with host bits zero, or a message that says what is wrong with it. */
export function parseCidr(cidr: string): Ipv4Range | string {
  const [addr, len, ...rest] = cidr.split('/');
  if (addr === undefined || len === undefined || rest.length > 0 || !/^\d{1,2}$/.test(len))
    return `service range "${cidr}" is not an IPv4 CIDR like 10.96.0.0/16`;
  const base = parseIpv4(addr);
  const prefixLength = Number(len);
  if (base === undefined || prefixLength > 32)
    return `service range "${cidr}" is not an IPv4 CIDR like 10.96.0.0/16`;
  const size = 2 ** (32 - prefixLength);
  if (base % size !== 0)
    return `service range "${cidr}" has host bits set; use ${formatIpv4(base - (base % size))}/${prefixLength}`;
  return { base, prefixLength, size, cidr };
}

export function rangeContains(range: Ipv4Range, ip: number): boolean {
  return ip >= range.base && ip < range.base + range.size;
}
