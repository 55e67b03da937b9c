import { execa } from 'execa';
import { LABEL, labelFilterFlags, MANAGER } from './labels.ts';
import { type PodmanCli, RuntimeError } from './podman-cli.ts';
import type { PodmanDriver } from './podman-driver.ts';
import { isRecord, labelsOf } from './podman-json.ts';
import type { ContainerEvent, LabelFilter } from './runtime.ts';

/**
 * Container lifecycle events from podman, so the kubelet learns of an exit when it happens
 * rather than at its next relist. The API's `/events` stream and `podman events --format json`
 * print the same events in two shapes; both are read here.
 */

/** One event record from either source; undefined for anything that is not a container event. */
export function parseContainerEvent(record: unknown): ContainerEvent | undefined {
  if (!isRecord(record)) return undefined;
  // API (Docker-style): { Type, Action, Actor: { ID, Attributes } }; CLI: { Type, Status, ID, Attributes }.
  const actor = isRecord(record.Actor) ? record.Actor : undefined;
  const type = String(record.Type ?? record.type ?? '').toLowerCase();
  const action = String(record.Action ?? record.Status ?? record.status ?? '');
  const id = String(actor?.ID ?? record.ID ?? record.id ?? '');
  if (type !== 'container' || action === '' || id === '') return undefined;
  const attributes = labelsOf(actor?.Attributes ?? record.Attributes);
  const exit = Number(attributes.containerExitCode ?? record.ContainerExitCode);
  return { id, action, labels: attributes, exitCode: Number.isInteger(exit) ? exit : undefined };
}

/** `podman events` as a long-running CLI process (the fallback when the API service is not running). */
export async function* cliContainerEvents(
  cli: PodmanCli,
  filter: LabelFilter,
  signal: AbortSignal,
): AsyncGenerator<ContainerEvent> {
  const { file, argv, env } = cli.invocation([
    'events',
    '--format',
    'json',
    '--filter',
    'type=container',
    ...labelFilterFlags(filter),
  ]);
  if (signal.aborted) return;
  const subprocess = execa(file, argv, { env, reject: false, cancelSignal: signal, stripFinalNewline: true });
  let stderr = '';
  subprocess.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  // Read by hand, not with for-await: a consumer that stops early (return at a yield) must reach
  // the `finally` that kills `podman events` first; a for-await would first ask execa's line
  // iterator to return, which waits for the process to end, and `podman events` never ends.
  const lines = subprocess.iterable()[Symbol.asyncIterator]();
  try {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const text = String(next.value).trim();
      if (text === '') continue;
      const event = parseContainerEvent(JSON.parse(text));
      if (event) yield event;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    subprocess.kill();
  }
  const result = await subprocess;
  if (!signal.aborted) {
    const command = [file, ...argv].join(' ');
    throw new RuntimeError(
      'Failed',
      `${command} ended (exit ${result.exitCode}): ${stderr.trim() || 'no output'}; the kubelet falls back to its relist`,
      command,
      result.exitCode,
      stderr,
    );
  }
}

/** Container events for the kubelet: the API's stream, else a `podman events` process. */
export async function* podmanContainerEvents(
  driver: PodmanDriver,
  filter: LabelFilter,
  signal: AbortSignal,
): AsyncGenerator<ContainerEvent> {
  if (driver.kind !== 'pod')
    throw new RuntimeError('Failed', 'docker events are not supported; listing instead', 'events');
  const ownFilter = { ...filter, [LABEL.managedBy]: MANAGER };
  const api = driver.liveApi();
  if (!api) {
    yield* cliContainerEvents(driver.cli, ownFilter, signal);
    return;
  }
  for await (const record of api.containerEvents(ownFilter, signal)) {
    const event = parseContainerEvent(record);
    if (event) yield event;
  }
  if (!signal.aborted) {
    throw new RuntimeError(
      'Failed',
      `the podman API service closed its event stream (${driver.serviceExitReason() ?? 'still running'})`,
      'GET /events',
    );
  }
}
