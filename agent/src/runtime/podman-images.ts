/**
 * Images on this node through podman or docker: whether one is present, pulling one (with a
 * message that says what to do when the registry cannot be reached), and the local list.
 */
import { RuntimeError } from './podman-cli.ts';
import type { PodmanDriver } from './podman-driver.ts';
import { parseImages } from './podman-json.ts';
import type { ImageInfo } from './runtime.ts';

export async function imageExists(driver: PodmanDriver, ref: string): Promise<boolean> {
  const { cli } = driver;
  const api = driver.podApi();
  if (api) return api.imageExists(ref);
  if (driver.kind === 'pod') {
    const outcome = await cli.outcome(['image', 'exists', ref]);
    if (outcome.exitCode === 0) return true;
    if (outcome.exitCode === 1) return false;
    throw new RuntimeError(
      'Failed',
      `podman image exists ${ref} failed: ${outcome.stderr.trim()}`,
      'podman image exists',
    );
  }
  const outcome = await cli.outcome(['image', 'inspect', ref]);
  return outcome.exitCode === 0;
}

/** Pulls through the CLI; registries can be slow, and unreachable ones retry, hence the timeout. */
export async function pullImage(driver: PodmanDriver, ref: string, timeoutMs: number): Promise<void> {
  try {
    await driver.cli.run(['pull', ref], { timeoutMs });
  } catch (err) {
    if (!(err instanceof RuntimeError) || err.kind === 'NotInstalled') throw err;
    const unreachable =
      /pinging container registry|dial tcp|no such host|connection refused|i\/o timeout/i.test(err.stderr);
    const why =
      err.kind === 'Timeout'
        ? `no answer from the registry within ${timeoutMs} ms`
        : unreachable
          ? 'the registry is unreachable from this node'
          : (err.stderr.trim().split('\n').pop() ?? err.message);
    throw new RuntimeError(
      err.kind === 'Timeout' ? 'Timeout' : 'ImageNotFound',
      `cannot pull ${ref}: ${why}. Load the image on this node (podman load / podman import, or kedge image build-base for the busybox image) and use imagePullPolicy: IfNotPresent or Never`,
      err.command,
      err.exitCode,
      err.stderr,
    );
  }
}

export async function listImages(driver: PodmanDriver): Promise<ImageInfo[]> {
  const format = driver.kind === 'pod' ? ['--format', 'json'] : ['--no-trunc', '--format', '{{json .}}'];
  return parseImages((await driver.cli.run(['images', ...format])).stdout);
}
