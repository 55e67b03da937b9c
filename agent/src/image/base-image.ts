import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { PodmanCli } from '../runtime/podman-cli.ts';

const run = promisify(execFile);

/** The image every test and the quick start use: no registry is reachable, so we build it locally. */
export const BASE_IMAGE = 'localhost/kedge/busybox:latest';

export interface BuildBaseImageOptions {
  /** A statically linked busybox (Debian: busybox-static). */
  readonly busybox?: string;
  readonly tag?: string;
  /** Rebuild even when the image exists. */
  readonly force?: boolean;
  readonly onProgress?: (step: string) => void;
}

export interface BuiltImage {
  readonly tag: string;
  readonly id: string;
  readonly applets: number;
  readonly built: boolean;
}

/**
 * Builds a busybox rootfs (the binary, a link per applet, /etc/passwd, /tmp, /www) and imports it
 * into podman. Idempotent: an existing image is kept unless `force` is set.
 */
export async function buildBaseImage(
  podman: PodmanCli,
  options: BuildBaseImageOptions = {},
): Promise<BuiltImage> {
  const tag = options.tag ?? BASE_IMAGE;
  const busybox = options.busybox ?? '/bin/busybox';
  const progress = options.onProgress ?? (() => {});

  if (!options.force) {
    const existing = await imageId(podman, tag);
    if (existing) return { tag, id: existing, applets: 0, built: false };
  }

  const applets = await listApplets(busybox);
  const work = await mkdtemp(join(tmpdir(), 'kedge-image-'));
  try {
    const root = join(work, 'rootfs');
    progress(`assembling rootfs with ${applets.length} busybox applets`);
    await mkdir(join(root, 'bin'), { recursive: true });
    await copyFile(busybox, join(root, 'bin/busybox'));
    await chmod(join(root, 'bin/busybox'), 0o755);
    for (const applet of applets) {
      const target = join(root, applet);
      if (applet === 'bin/busybox') continue;
      await mkdir(dirname(target), { recursive: true });
      await symlink('/bin/busybox', target).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    }
    for (const dir of ['etc', 'tmp', 'www', 'proc', 'sys', 'dev', 'root', 'var/run', 'home']) {
      await mkdir(join(root, dir), { recursive: true });
    }
    await chmod(join(root, 'tmp'), 0o1777);
    await writeFile(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
    );
    await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    await writeFile(join(root, 'www/index.html'), '<h1>kedge busybox</h1>\n');

    progress('packing rootfs');
    const tarball = join(work, 'rootfs.tar');
    await run('tar', ['-C', root, '-cf', tarball, '.']);

    progress(`importing ${tag} into ${podman.config.binary}`);
    await podman.run([
      'import',
      '--change',
      'CMD ["/bin/sh"]',
      '--change',
      'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      tarball,
      tag,
    ]);
    const id = await imageId(podman, tag);
    if (!id) throw new Error(`${tag} was imported but podman does not list it`);
    return { tag, id, applets: applets.length, built: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function listApplets(busybox: string): Promise<string[]> {
  try {
    const { stdout } = await run(busybox, ['--list-full']);
    return stdout.split('\n').filter((line) => line.trim() !== '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(
        `${busybox} not found: install a static busybox (Debian: apt-get install -y busybox-static)`,
      );
    }
    throw err;
  }
}

/** The image's id, or undefined when podman does not have it. */
export async function imageId(podman: PodmanCli, tag: string): Promise<string | undefined> {
  const { stdout } = await podman.run(['images', '--quiet', '--filter', `reference=${tag}`]);
  const id = stdout.split('\n')[0]?.trim();
  return id ? id : undefined;
}
