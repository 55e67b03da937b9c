import { AGENT_VERSION, BASE_IMAGE, buildBaseImage, podmanCli } from '@kedge/agent';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

type Command = (args: string[], io: CliIo) => Promise<number>;

const commands: Record<string, { summary: string; run: Command }> = {
  version: {
    summary: 'Print the version of kedge',
    run: async (_args, io) => {
      io.stdout.write(`kedge ${AGENT_VERSION} (node ${process.versions.node})\n`);
      return 0;
    },
  },
  image: {
    summary: 'Manage local images (build-base: build localhost/kedge/busybox from busybox-static)',
    run: imageCommand,
  },
};

async function imageCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'build-base') {
    io.stderr.write('usage: kedge image build-base [--force]\n');
    return 2;
  }
  const force = rest.includes('--force');
  const image = await buildBaseImage(podmanCli(), {
    force,
    onProgress: (step) => io.stderr.write(`  ${step}\n`),
  });
  io.stdout.write(
    image.built
      ? `built ${image.tag} (${image.id}, ${image.applets} applets)\n`
      : `${image.tag} already present (${image.id}); use --force to rebuild\n`,
  );
  return 0;
}

function usage(io: CliIo): void {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  io.stdout.write(
    `kedge: a Kubernetes-style container cluster for edge boxes\n\nCommands:\n${lines.join('\n')}\n`,
  );
}

/** Runs one CLI invocation and returns its exit code (0 ok, 1 failed, 2 bad usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    usage(io);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`error: unknown command "${name}" for "kedge"\nRun 'kedge help' for usage.\n`);
    return 2;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

export { BASE_IMAGE };
