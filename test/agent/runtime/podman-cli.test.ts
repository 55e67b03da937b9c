import { randomUUID } from 'node:crypto';
import { BASE_IMAGE, buildBaseImage, defaultPodmanConfig, podmanCli, RuntimeError } from '@kedge/agent';
import { beforeAll, describe, expect, it } from 'vitest';

const podman = podmanCli();

describe('podman invocation on this machine', () => {
  beforeAll(async () => {
    await buildBaseImage(podman);
  });

  it('runs a container from the local busybox image, reads its output and removes it', async () => {
    const name = `kedge-test-${randomUUID().slice(0, 8)}`;
    const { stdout } = await podman.run([
      'run',
      '--name',
      name,
      ...podman.containerFlags(),
      BASE_IMAGE,
      'sh',
      '-c',
      'echo "hello from $(uname -s)"; ls /bin/sh /usr/sbin/httpd',
    ]);
    expect(stdout).toContain('hello from Linux');
    expect(stdout).toContain('/usr/sbin/httpd');
    await podman.run(['rm', name]);
    const { stdout: left } = await podman.run([
      'ps',
      '-a',
      '--filter',
      `name=^${name}$`,
      '--format',
      '{{.Names}}',
    ]);
    expect(left.trim()).toBe('');
  });

  it('enforces a memory limit that podman reports back', async () => {
    const name = `kedge-test-${randomUUID().slice(0, 8)}`;
    await podman.run([
      'run',
      '-d',
      '--name',
      name,
      '-m',
      '64m',
      '--cpus',
      '0.5',
      ...podman.containerFlags(),
      BASE_IMAGE,
      'sleep',
      '30',
    ]);
    try {
      const { stdout } = await podman.run([
        'inspect',
        name,
        '--format',
        '{{.HostConfig.Memory}} {{.State.Running}}',
      ]);
      expect(stdout.trim()).toBe(`${64 * 1024 * 1024} true`);
    } finally {
      await podman.run(['rm', '-f', '-t', '0', name]);
    }
  });

  it('reports a missing container as NotFound', async () => {
    const err = await podman.run(['inspect', `kedge-missing-${randomUUID()}`]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).kind).toBe('NotFound');
  });

  it('says how to install podman when the binary is missing', async () => {
    const missing = podmanCli({ ...defaultPodmanConfig, binary: 'podman-not-installed-here' });
    const err = await missing.run(['version']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).kind).toBe('NotInstalled');
    expect((err as Error).message).toMatch(/apt-get install -y podman/);
  });
});
