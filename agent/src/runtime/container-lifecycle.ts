/**
 * A container's life on podman: create it in its sandbox (API body or CLI argv from the same
 * config), start it, stop it with a grace period, remove it. Reading containers back is in
 * container-inspection.ts.
 */
import type { ContainerInspection } from './container-inspection.ts';
import { containerRuntimeName } from './labels.ts';
import { containerCreateSpec } from './libpod-specs.ts';
import { containerCreateArgs, type SandboxIdentity } from './podman-args.ts';
import { RuntimeError } from './podman-cli.ts';
import { graceTimeout, ignoreNotFound, lastLine, type PodmanDriver } from './podman-driver.ts';
import type { ContainerConfig } from './runtime.ts';

/** Creates the container in its sandbox; a missing image says how to get it onto this node. */
export async function createContainer(
  driver: PodmanDriver,
  sandbox: SandboxIdentity,
  config: ContainerConfig,
): Promise<string> {
  const { cli, kind, nodeName } = driver;
  const name = containerRuntimeName(sandbox, config.name, config.attempt ?? 0);
  const api = driver.podApi();
  try {
    if (api) {
      const spec = containerCreateSpec(name, sandbox, config, { nodeName, ulimits: cli.config.ulimits });
      return await api.createContainer(spec);
    }
    const args = containerCreateArgs(name, sandbox, config, {
      nodeName,
      kind,
      containerFlags: cli.containerFlags(),
    });
    return lastLine((await cli.run(args)).stdout);
  } catch (err) {
    if (err instanceof RuntimeError && err.kind === 'ImageNotFound') {
      throw new RuntimeError(
        'ImageNotFound',
        `image ${config.image} is not on this node: build or load it (kedge image build-base, podman load) or let the kubelet pull it (imagePullPolicy); ${cli.config.binary} said: ${err.stderr.trim()}`,
        err.command,
        err.exitCode,
        err.stderr,
      );
    }
    throw err;
  }
}

export async function startContainer(driver: PodmanDriver, id: string): Promise<void> {
  const api = driver.liveApi();
  if (api) await api.startContainer(id);
  else await driver.cli.run(['start', id]);
}

/** SIGTERM, then SIGKILL once the grace period has passed. */
export async function stopContainer(
  driver: PodmanDriver,
  id: string,
  gracePeriodSeconds: number,
): Promise<void> {
  const seconds = Math.max(0, Math.ceil(gracePeriodSeconds));
  const timeoutMs = graceTimeout(driver, gracePeriodSeconds);
  const api = driver.liveApi();
  if (api) await api.stopContainer(id, seconds, timeoutMs);
  else await driver.cli.run(['stop', '--time', String(seconds), id], { timeoutMs });
}

/** Kills the container if it still runs and removes it; a missing one is already where we want it. */
export async function removeContainer(
  driver: PodmanDriver,
  containers: ContainerInspection,
  id: string,
): Promise<void> {
  containers.forget(id);
  const api = driver.liveApi();
  await ignoreNotFound(() =>
    api ? api.removeContainer(id) : driver.cli.run(['rm', '--force', '--time', '0', id]),
  );
}
