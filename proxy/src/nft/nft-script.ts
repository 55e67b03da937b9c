import type { NftPlan, ServiceChain } from './nft-plan.ts';

/** The packet mark bit that asks postrouting to masquerade (kube-proxy uses the same bit). */
export const MASQUERADE_MARK = '0x00004000';

export const TABLE = 'ip kedge';

/**
 * The one rule of a Service chain: mark for masquerade, then DNAT to backend number
 * `numgen random mod N` (or `jhash ip saddr mod N` for ClientIP affinity). With no ready backend
 * the connection is refused at once (TCP reset / ICMP unreachable), as kube-proxy does, rather
 * than left to time out.
 */
export function chainRule(chain: ServiceChain): string {
  const n = chain.backends.length;
  if (n === 0) return chain.protocol === 'TCP' ? 'reject with tcp reset' : 'reject';
  const pick = chain.affinity ? `jhash ip saddr mod ${n} seed 0x6b656467` : `numgen random mod ${n}`;
  const map = chain.backends
    .map((b, i) => {
      const [ip, port] = b.split(':');
      return `${i} : ${ip} . ${port}`;
    })
    .join(', ');
  // The l4proto match is what lets nft DNAT to a port; the vmap already matched it.
  const proto = chain.protocol.toLowerCase();
  return `meta l4proto ${proto} meta mark set meta mark | ${MASQUERADE_MARK} dnat ip to ${pick} map { ${map} }`;
}

/**
 * The whole table from nothing, as one transaction: `add table` + `delete table` first so that a
 * table left by an earlier run (or half-edited by hand) is replaced, not merged into.
 *
 * Hooks: prerouting (traffic from other hosts and from pods) and output (this node's own
 * processes) both jump to `services`; postrouting masquerades marked traffic that leaves the node
 * (a backend on another node must answer through us); locally delivered traffic never reaches
 * postrouting, so local backends see the real client address.
 */
export function fullScript(plan: NftPlan): string {
  const lines = [
    `add table ${TABLE}`,
    `delete table ${TABLE}`,
    `table ${TABLE} {`,
    '  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }',
    '  map service-nodeports { type inet_proto . inet_service : verdict; }',
    '  chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }',
    '  chain output { type nat hook output priority -100; policy accept; jump services; }',
    '  chain services {',
    '    ip daddr . meta l4proto . th dport vmap @service-ips',
    '    fib daddr type local meta l4proto . th dport vmap @service-nodeports',
    '  }',
    `  chain postrouting { type nat hook postrouting priority srcnat; policy accept; meta mark & ${MASQUERADE_MARK} == ${MASQUERADE_MARK} masquerade; }`,
    '}',
  ];
  for (const chain of plan.chains.values()) lines.push(...addChain(chain));
  for (const [k, c] of plan.serviceIps) lines.push(addElement('service-ips', k, c));
  for (const [k, c] of plan.nodePorts) lines.push(addElement('service-nodeports', k, c));
  return `${lines.join('\n')}\n`;
}

/**
 * The changes from `prev` to `next` as one nft transaction (nft -f applies a file atomically):
 * only chains whose backends changed are flushed and refilled, only changed map elements are
 * touched, so connections of unchanged Services never see a rule in flux. Empty when nothing changed.
 */
export function diffScript(prev: NftPlan, next: NftPlan): string {
  const lines: string[] = [];
  for (const [name, chain] of next.chains) {
    const had = prev.chains.get(name);
    if (!had) lines.push(...addChain(chain));
    else if (chainRule(had) !== chainRule(chain))
      lines.push(`flush chain ${TABLE} ${name}`, `add rule ${TABLE} ${name} ${chainRule(chain)}`);
  }
  lines.push(...diffMap('service-ips', prev.serviceIps, next.serviceIps));
  lines.push(...diffMap('service-nodeports', prev.nodePorts, next.nodePorts));
  // Chains go last: a chain can be deleted only once no map element jumps to it.
  for (const name of prev.chains.keys())
    if (!next.chains.has(name)) lines.push(`delete chain ${TABLE} ${name}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function addChain(chain: ServiceChain): string[] {
  return [`add chain ${TABLE} ${chain.name}`, `add rule ${TABLE} ${chain.name} ${chainRule(chain)}`];
}

function addElement(map: string, key: string, chain: string): string {
  return `add element ${TABLE} ${map} { ${key} : goto ${chain} }`;
}

function diffMap(
  map: string,
  prev: ReadonlyMap<string, string>,
  next: ReadonlyMap<string, string>,
): string[] {
  const out: string[] = [];
  for (const [k, c] of prev) if (next.get(k) !== c) out.push(`delete element ${TABLE} ${map} { ${k} }`);
  for (const [k, c] of next) if (prev.get(k) !== c) out.push(addElement(map, k, c));
  return out;
}
