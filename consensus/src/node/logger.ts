// The logging the driver and transports need; console fits, and tests pass a silent one.

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ignore = (): void => {};

/** Drops everything (tests, benchmarks). */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/** One JSON line per event on stderr, tagged with a name (e.g. the node id). */
export function stderrLogger(name: string, verbose = false): Logger {
  const write =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      process.stderr.write(`${JSON.stringify({ t: Date.now(), level, node: name, message, ...fields })}\n`);
    };
  return {
    debug: verbose ? write('debug') : ignore,
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}
