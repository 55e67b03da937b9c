import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A containers.conf carrying the machine's ulimits. `podman pod create` (4.x) has no --ulimit, and
 * without explicit ulimits runc fails to start the pod's infra container here ("error setting
 * rlimits"); podman applies `default_ulimits` to every container, the infra one included.
 * Pointing CONTAINERS_CONF at this file replaces the system containers.conf for our calls; the
 * agent's podman needs nothing else from it.
 */
export function renderContainersConf(ulimits: readonly string[]): string {
  const list = ulimits.map((u) => JSON.stringify(u)).join(', ');
  return `# Written by the kedge agent; see agent/src/runtime/containers-conf.ts\n[containers]\ndefault_ulimits = [${list}]\n`;
}

export async function writeContainersConf(path: string, ulimits: readonly string[]): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderContainersConf(ulimits));
  return path;
}
