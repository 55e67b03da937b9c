import { execa } from 'execa';
import { classifyFailure, type PodmanCli, RuntimeError } from './podman-cli.ts';
import type { LogOptions } from './runtime.ts';

/** `logs` flags for the options; `since` is RFC 3339, which podman and docker both accept. */
export function logArgs(id: string, options: LogOptions): string[] {
  const args = ['logs'];
  if (options.follow) args.push('--follow');
  if (options.tailLines !== undefined)
    args.push('--tail', String(Math.max(0, Math.floor(options.tailLines))));
  if (options.timestamps) args.push('--timestamps');
  if (options.since) args.push('--since', options.since.toISOString());
  args.push(id);
  return args;
}

/**
 * The container's output (stdout and stderr interleaved, as the CLI prints them), one line per
 * item. A follow runs until the container stops or the signal aborts; on abort the CLI process is
 * killed and the iterable ends without an error.
 */
export async function* streamLogs(
  cli: PodmanCli,
  id: string,
  options: LogOptions = {},
): AsyncGenerator<string> {
  const { file, argv, env } = cli.invocation(logArgs(id, options));
  const signal = options.signal;
  if (signal?.aborted) return;
  const subprocess = execa(file, argv, {
    env,
    all: true,
    reject: false,
    cancelSignal: signal,
    // A plain read ends by itself; only a follow may run long.
    timeout: options.follow ? undefined : cli.config.timeoutMs,
    stripFinalNewline: true,
  });
  let stderr = '';
  subprocess.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  // Read by hand, not with for-await: a consumer that stops early must reach the `finally` that
  // kills the CLI; a for-await would first wait on execa's line iterator, which waits for a
  // follow that never ends (see container-events.ts).
  const lines = subprocess.iterable({ from: 'all' })[Symbol.asyncIterator]();
  try {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      // Lines already read when the signal fired are dropped: abort means "no more lines".
      if (signal?.aborted) break;
      yield String(next.value);
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  } finally {
    // Ends the CLI when the consumer stops early (break out of for-await); a no-op after exit.
    subprocess.kill();
  }
  const result = await subprocess;
  const code = (result as typeof result & { code?: string }).code;
  if (code === 'ENOENT') {
    throw new RuntimeError(
      'NotInstalled',
      `${file} is not installed: install podman or set KEDGE_PODMAN`,
      file,
    );
  }
  if (result.failed && !result.isCanceled && !signal?.aborted && !result.isTerminated) {
    const command = [file, ...argv].join(' ');
    throw new RuntimeError(
      classifyFailure(stderr),
      `${command} failed (exit ${result.exitCode}): ${stderr.trim() || 'no output'}`,
      command,
      result.exitCode,
      stderr,
    );
  }
}
