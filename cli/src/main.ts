import { runCli } from './cli.ts';

// Ctrl-C ends watches and follows cleanly (exit 0 from `get -w`, as kubectl); a second one kills.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});
process.once('SIGTERM', () => interrupt.abort());
process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  { signal: interrupt.signal },
);
