/**
 * The single executable's entry: one file is both the `kedge` CLI and the agent.
 *
 *   kedge <command> ...                 -> the CLI (cli/src/cli.ts), as bin/kedge runs it
 *   kedge <anything>/agent-main.ts ...  -> the agent program, because `kedge up` (local-cluster.ts)
 *                                          starts each agent as `<execPath> <agent-main.ts> --data-dir D`;
 *                                          in the single file, execPath is this executable
 */
import { runAgentCommand } from '../agent/src/cluster/agent-command.ts';
import { runCli } from '../cli/src/cli.ts';

async function main(argv: string[]): Promise<number> {
  if (argv[0]?.endsWith('agent-main.ts')) {
    const code = await runAgentCommand(argv.slice(1), { stdout: process.stdout, stderr: process.stderr });
    // Stopped cleanly: do not wait for stray keep-alive sockets (as agent-main.ts).
    process.exit(code);
  }
  // Ctrl-C ends watches and follows cleanly; a second one kills (as cli/src/main.ts).
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    interrupt.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  process.once('SIGTERM', () => interrupt.abort());
  return runCli(
    argv,
    { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
    { signal: interrupt.signal },
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 1;
  },
);
