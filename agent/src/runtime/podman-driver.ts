/**
 * What every part of the podman driver shares: the CLI, the REST API while its service lives,
 * whose containers these are, and the few error helpers each part needs. PodmanRuntime builds one
 * and hands it to the sandbox, container, image and diagnostics modules.
 */
import type { PodmanApi } from './podman-api.ts';
import type { SandboxKind } from './podman-args.ts';
import { type PodmanCli, RuntimeError } from './podman-cli.ts';

export interface PodmanDriver {
  readonly cli: PodmanCli;
  /** This node's name, written on everything we create (io.kedge.node). */
  readonly nodeName: string;
  readonly kind: SandboxKind;
  /** The API while its service runs; once it has exited, every call goes to the CLI. */
  liveApi(): PodmanApi | undefined;
  /** The API for pod-level calls: only podman has pods, docker always takes the CLI. */
  podApi(): PodmanApi | undefined;
  /** Why the service is gone, or undefined while it runs (or when there never was one). */
  serviceExitReason(): string | undefined;
}

/** The CLI call must outlive the grace period it waits out. */
export function graceTimeout(driver: PodmanDriver, gracePeriodSeconds: number): number {
  return Math.max(driver.cli.config.timeoutMs, (gracePeriodSeconds + 30) * 1000);
}

/** The id a `create` prints: its last line (pulls and warnings may come before it). */
export function lastLine(stdout: string): string {
  const lines = stdout.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

export function notFound(what: string): RuntimeError {
  return new RuntimeError(
    'NotFound',
    `${what} does not exist on this node (removed, or never created)`,
    'inspect',
  );
}

/** Runs a removal or stop whose target may already be gone, which is what it wanted anyway. */
export async function ignoreNotFound(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof RuntimeError && err.kind === 'NotFound') return;
    throw err;
  }
}

/** A lookup that answers undefined for an object removed between a listing and its inspect. */
export function undefinedIfNotFound(err: unknown): undefined {
  if (err instanceof RuntimeError && err.kind === 'NotFound') return undefined;
  throw err;
}
