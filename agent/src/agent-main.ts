// The agent program on its own (what `kedge up` starts per agent and a systemd unit runs):
// the same as `kedge agent ...`.
import { runAgentCommand } from './cluster/agent-command.ts';

try {
  process.exitCode = await runAgentCommand(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
  });
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
// Stopped cleanly (or failed): do not wait for stray keep-alive sockets to time out.
process.exit();
