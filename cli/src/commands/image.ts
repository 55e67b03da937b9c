/** `kedge image build-base [--force]`: builds localhost/kedge/busybox from busybox-static. */
import type { CommandSpec, Invocation } from '../command.ts';
import { usageError } from '../errors.ts';

export const imageCommand: CommandSpec = {
  name: 'image',
  group: 'other',
  summary: 'Manage local images (build-base: build localhost/kedge/busybox from busybox-static)',
  usage: 'kedge image build-base [--force]',
  usesCluster: false,
  subcommands: ['build-base'],
  flags: [{ name: 'force', type: 'bool', help: 'Rebuild even if the image exists' }],
  run: async (inv: Invocation) => {
    if (inv.args[0] !== 'build-base') throw usageError('usage: kedge image build-base [--force]');
    // Loaded on demand: the podman driver is heavy and no other command needs it.
    const { buildBaseImage, podmanCli } = await import('@kedge/agent');
    const image = await buildBaseImage(podmanCli(), {
      force: inv.flags.bool('force'),
      onProgress: (step) => inv.err(`  ${step}\n`),
    });
    inv.out(
      image.built
        ? `built ${image.tag} (${image.id}, ${image.applets} applets)\n`
        : `${image.tag} already present (${image.id}); use --force to rebuild\n`,
    );
    return 0;
  },
};
