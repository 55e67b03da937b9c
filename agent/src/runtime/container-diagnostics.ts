/**
 * What an operator asks of a running container (kubectl top, logs, exec, and the kubelet's
 * exec probes): usage samples, its output (or an earlier run's), a command inside it. All of it
 * goes through the CLI; none of it is on the pod-start path.
 */
import type { ContainerInspection } from './container-inspection.ts';
import { LABEL } from './labels.ts';
import { streamLogs } from './log-stream.ts';
import { RuntimeError } from './podman-cli.ts';
import { notFound, type PodmanDriver } from './podman-driver.ts';
import { parseJsonRecords } from './podman-json.ts';
import type { ContainerStats, ExecResult, LogOptions } from './runtime.ts';
import type { StatsRates } from './stats-rates.ts';

/** One `stats` call for many containers; CPU is a rate against the previous sample in `rates`. */
export async function containerStats(
  driver: PodmanDriver,
  rates: StatsRates,
  ids: readonly string[],
): Promise<ContainerStats[]> {
  if (ids.length === 0) return [];
  const pod = driver.kind === 'pod';
  // The JSON format prints rounded human text ("2.1MB"); this template gives podman's numbers.
  const format = pod ? '{{json .ContainerStats}}' : '{{json .}}';
  const args = ['stats', '--no-stream', ...(pod ? [] : ['--no-trunc']), '--format', format, ...ids];
  const { stdout } = await driver.cli.run(args);
  return rates.rates(parseJsonRecords(stdout), ids, new Date());
}

/** The container's output; `previous` reads the latest earlier run (attempt) of the same container. */
export async function* containerLogs(
  driver: PodmanDriver,
  containers: ContainerInspection,
  id: string,
  options: LogOptions,
): AsyncGenerator<string> {
  let target = id;
  if (options.previous) {
    const current = await containers.inspect(id);
    const earlier = (
      await containers.list({
        [LABEL.podUid]: current.labels[LABEL.podUid] ?? '',
        [LABEL.containerName]: current.name,
      })
    )
      .filter((c) => c.attempt < current.attempt)
      .sort((a, b) => b.attempt - a.attempt)[0];
    if (!earlier) throw notFound(`a previous run of container ${current.name} (attempt ${current.attempt})`);
    target = earlier.id;
  }
  yield* streamLogs(driver.cli, target, options);
}

/** Runs a command in the container; its exit code is a value (a failed probe), the CLI's own failure an error. */
export async function execInContainer(
  driver: PodmanDriver,
  id: string,
  command: readonly string[],
  options: { timeoutMs?: number },
): Promise<ExecResult> {
  const { cli } = driver;
  const outcome = await cli.outcome(['exec', id, ...command], { timeoutMs: options.timeoutMs });
  // 125: the CLI itself failed (no such container, not running); 126/127 are the command's own.
  if (outcome.exitCode === 125 && !outcome.timedOut) {
    const stderr = outcome.stderr.trim();
    throw new RuntimeError(
      /no such container|no container with/i.test(stderr) ? 'NotFound' : 'Failed',
      `exec in ${id} failed: ${stderr || 'exit 125'}`,
      `${cli.config.binary} exec`,
      125,
      outcome.stderr,
    );
  }
  return {
    exitCode: outcome.timedOut ? -1 : outcome.exitCode,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    timedOut: outcome.timedOut,
  };
}
