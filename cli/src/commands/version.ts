/** `kedge version`: the client, and the server's /version when a cluster is configured. */
import { AGENT_VERSION } from '../../../agent/src/version.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { CliError } from '../errors.ts';

export const versionCommand: CommandSpec = {
  name: 'version',
  group: 'settings',
  summary: 'Print the client and server versions',
  usage: 'kedge version [--client] [-o json]',
  flags: [
    { name: 'client', type: 'bool', help: 'Only the client version (no cluster needed)' },
    { name: 'output', short: 'o', type: 'string', help: 'json' },
  ],
  run: async (inv: Invocation) => {
    const client = { version: AGENT_VERSION, node: process.versions.node };
    let server: { gitVersion?: string; major?: string; minor?: string } | undefined;
    let serverError: string | undefined;
    // Without a cluster configured, print the client alone (scripts call `kedge version` first).
    const wantServer = !inv.flags.bool('client') && hasCluster(inv);
    if (wantServer) {
      try {
        server = await inv.client().getPath('/version');
      } catch (e) {
        if (!(e instanceof CliError)) throw e;
        serverError = e.display;
      }
    }
    if (inv.flags.string('output') === 'json') {
      inv.out(
        `${JSON.stringify({ clientVersion: client, ...(server ? { serverVersion: server } : {}) }, null, 2)}\n`,
      );
    } else {
      inv.out(`kedge ${client.version} (node ${client.node})\n`);
      if (server) inv.out(`Server Version: ${server.gitVersion ?? `${server.major}.${server.minor}`}\n`);
    }
    if (serverError) {
      inv.err(`${serverError}\n`);
      return 1;
    }
    return 0;
  },
};

function hasCluster(inv: Invocation): boolean {
  if (inv.flags.has('server')) return true;
  try {
    return inv.kubeconfig().clusters.length > 0;
  } catch (e) {
    if (e instanceof CliError) return false;
    throw e;
  }
}
