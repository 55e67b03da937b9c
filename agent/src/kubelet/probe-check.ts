/**
 * One probe attempt against a running container: httpGet (a status in 200-399 passes), tcpSocket
 * (the connection opens) or exec (exit 0), each bounded by timeoutSeconds. A probe that cannot even
 * be attempted (a named port the container does not declare, no handler) fails with a message that
 * says what to fix; nothing here throws.
 */
import { connect } from 'node:net';
import type { Container, IntOrString, Probe } from '../api/types/pod.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { ProbeOutcome } from './observed-pod.ts';

export interface ProbeTarget {
  readonly container: Container;
  readonly containerId: string;
  /** The pod's address; httpGet and tcpSocket go there unless the probe names a host. */
  readonly podIP: string | undefined;
  readonly runtime: ContainerRuntime;
}

export function resolvePort(port: IntOrString, container: Container): number | string {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named)
    return `port "${port}" is not a named port of container ${container.name}: name it under ports or use a number`;
  return named.containerPort;
}

const fail = (message: string): ProbeOutcome => ({ result: 'failure', message });
const pass: ProbeOutcome = { result: 'success' };

export async function checkProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) return await checkExec(probe.exec.command ?? [], target, timeoutMs);
    const action = probe.httpGet ?? probe.tcpSocket;
    if (!action) return fail('the probe has no handler: give it exec, httpGet or tcpSocket');
    const port = resolvePort(action.port, target.container);
    if (typeof port === 'string') return fail(port);
    const host = action.host || target.podIP;
    if (!host) return fail('the pod has no IP yet');
    if (probe.httpGet) {
      const h = probe.httpGet;
      const path = h.path ?? '/';
      const url = `${(h.scheme ?? 'HTTP').toLowerCase()}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
      const headers = Object.fromEntries((h.httpHeaders ?? []).map((x) => [x.name, x.value]));
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await res.body?.cancel();
      return res.status >= 200 && res.status < 400
        ? pass
        : fail(`HTTP probe failed with statuscode: ${res.status}`);
    }
    return await checkTcp(host, port, timeoutMs);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return fail(`probe timed out after ${timeoutMs / 1000}s`);
    return fail(`probe failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
  }
}

async function checkExec(
  command: readonly string[],
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  if (command.length === 0) return fail('the exec probe has an empty command');
  const out = await target.runtime.exec(target.containerId, command, { timeoutMs });
  if (out.timedOut) return fail(`command timed out after ${timeoutMs / 1000}s`);
  if (out.exitCode === 0) return pass;
  const said = `${out.stdout}${out.stderr}`.trim().slice(0, 200);
  return fail(`command ${JSON.stringify(command)} exited ${out.exitCode}${said ? `: ${said}` : ''}`);
}

function checkTcp(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(fail(`dial tcp ${host}:${port}: timed out after ${timeoutMs / 1000}s`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(pass);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(fail(`dial tcp ${host}:${port}: ${err.code ?? err.message}`));
    });
  });
}
