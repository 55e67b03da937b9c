import { spawn } from 'node:child_process';

/** What one run of a system tool (ip, nft) gave back. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool with optional stdin; never throws (a missing binary is code 127 with the reason). */
export type CommandRunner = (file: string, args: readonly string[], stdin?: string) => Promise<CommandResult>;

export const runCommand: CommandRunner = (file, args, stdin) =>
  new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.once('error', (err) => resolve({ code: 127, stdout, stderr: `${file}: ${err.message}` }));
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => {}); // EPIPE when the tool exits before reading; its exit code says why
    child.stdin.end(stdin ?? '');
  });
