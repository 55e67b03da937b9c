/**
 * Where this agent serves Ingress and whether it runs the nftables fast path (pure decision rules).
 *
 *   Ingress ports, first that applies:
 *     KEDGE_INGRESS_PORTS="<http>,<https>" (or "off")           the operator's choice
 *     agents sharing a machine (`kedge up`, 127.0.0.x)          API port + 500 / + 600
 *     a machine of its own                                       80 / 443, and API port + 500 / + 600
 *                                                                when 80/443 cannot be bound (no privilege)
 *   Kernel fast path (nft): only when KEDGE_KERNEL_FASTPATH=1 AND the agent has a machine of its own.
 *     Agents on loopback addresses share one kernel: one table per agent would fight over the same
 *     NodePorts, so they stay on the userspace proxy whatever the flag says. Without nft or
 *     CAP_NET_ADMIN NftFastPath.start fails with 'Unavailable' and the userspace proxy carries the traffic.
 */
import { sharesMachine } from './service-dns.ts';

export const INGRESS_HTTP_PORT_OFFSET = 500;
export const INGRESS_HTTPS_PORT_OFFSET = 600;

export interface IngressPorts {
  readonly http: number;
  readonly https: number;
}

/** The ports to try in order (the second pair when the first cannot be bound), or 'off', or an error. */
export function ingressPortChoices(
  address: string,
  apiPort: number,
  setting: string | undefined,
): readonly IngressPorts[] | 'off' | Error {
  const high = { http: apiPort + INGRESS_HTTP_PORT_OFFSET, https: apiPort + INGRESS_HTTPS_PORT_OFFSET };
  if (setting !== undefined && setting.trim() !== '') {
    const value = setting.trim();
    if (value === 'off') return 'off';
    const m = /^(\d+),(\d+)$/.exec(value);
    const http = Number(m?.[1]);
    const https = Number(m?.[2]);
    if (!m || !validPort(http) || !validPort(https) || http === https)
      return new Error(
        `KEDGE_INGRESS_PORTS=${value} is not "<http port>,<https port>" (two different ports 1-65535) or "off"; fix it to serve Ingress`,
      );
    return [{ http, https }];
  }
  if (sharesMachine(address)) return [high];
  return [{ http: 80, https: 443 }, high];
}

/** Whether to start the nft kernel fast path (see the rule at the top). */
export function kernelFastPathWanted(
  address: string,
  setting: string | undefined,
): { wanted: boolean; reason: string } {
  if (setting !== '1' && setting !== 'true')
    return { wanted: false, reason: 'kernel fast path off (set KEDGE_KERNEL_FASTPATH=1 to enable)' };
  if (sharesMachine(address))
    return {
      wanted: false,
      reason: `kernel fast path not used: ${address} is a loopback address shared with other agents on this machine; the userspace proxy serves`,
    };
  return { wanted: true, reason: 'kernel fast path requested' };
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65_535;
}
