/**
 * Errors the CLI shows a person. Each has a kind (what went wrong, for tests and scripts) and a
 * complete line to print, phrased as kubectl would, with what to do next where we know it.
 */

export type CliErrorKind =
  | 'Usage' // bad flags or arguments: exit 2
  | 'Config' // no kubeconfig, unknown context, unreadable CA
  | 'Connection' // the API could not be reached
  | 'Server' // the API answered with a Status error
  | 'Manifest' // a file could not be read or parsed
  | 'Failed'; // anything else that stops a command (timeouts, rollout failures)

export class CliError extends Error {
  readonly kind: CliErrorKind;
  /** The text printed on stderr, without the trailing newline. */
  readonly display: string;

  constructor(kind: CliErrorKind, message: string, display = `error: ${message}`) {
    super(message);
    this.name = 'CliError';
    this.kind = kind;
    this.display = display;
  }

  get exitCode(): number {
    return this.kind === 'Usage' ? 2 : 1;
  }
}

export const usageError = (message: string, hint?: string): CliError =>
  new CliError('Usage', message, `error: ${message}${hint ? `\n${hint}` : ''}`);

export const failed = (message: string): CliError => new CliError('Failed', message);
