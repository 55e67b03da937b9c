/**
 * The Docker Swarm anchor (one-node swarm on this machine, same image and command as kedge's
 * side), through the Engine API on the daemon's own socket:
 *
 *   service (restart delay 0 s) 10 replicas ─> 10 tasks running │ update to 50 ─> 50 running
 *   scale back to 10; docker kill a task's container ─> a new task running        × killTrials
 *   a second service with the default restart policy (5 s delay): the same kills   × killTrials
 */
import { BASE_IMAGE } from '../../agent/src/image/base-image.ts';
import type { DockerDaemon } from './docker-daemon.ts';
import { IDLE_COMMAND } from './kedge-workload.ts';
import { type Figure, figure, pollUntil } from './timing.ts';

interface Task {
  ID: string;
  DesiredState: string;
  Status: { State: string; ContainerStatus?: { ContainerID?: string } };
}
interface Service {
  ID: string;
  Version: { Index: number };
  Spec: { Mode: { Replicated?: { Replicas: number } } } & Record<string, unknown>;
}

export interface SwarmResults {
  readonly deploy10: Figure;
  readonly scale10to50: Figure;
  readonly killedContainerNoDelay: Figure;
  readonly killedContainerDefault: Figure;
}

export async function runSwarmSide(
  docker: DockerDaemon,
  options: { killTrials: number; log: (line: string) => void },
): Promise<SwarmResults> {
  const { log } = options;
  const fast = new SwarmService(docker, 'bench-fast', { Condition: 'any', Delay: 0 });
  const deploy10 = await fast.create(10);
  log(`  swarm: 10 replicas running after ${deploy10} ms`);
  const scale = await fast.scale(50);
  log(`  swarm: 10 -> 50 running after ${scale} ms`);
  await fast.scaleDown(10);
  const noDelay: number[] = [];
  for (let i = 0; i < options.killTrials; i++) noDelay.push(await fast.killOneContainer());
  log(`  swarm: killed container replaced (restart delay 0 s): ${noDelay.join(', ')} ms`);
  await fast.remove();

  const slow = new SwarmService(docker, 'bench-default', undefined);
  await slow.create(10);
  const withDelay: number[] = [];
  for (let i = 0; i < options.killTrials; i++) withDelay.push(await slow.killOneContainer());
  log(`  swarm: killed container replaced (default restart policy): ${withDelay.join(', ')} ms`);
  await slow.remove();
  return {
    deploy10: figure(deploy10),
    scale10to50: figure(scale),
    killedContainerNoDelay: figure(...noDelay),
    killedContainerDefault: figure(...withDelay),
  };
}

class SwarmService {
  readonly #docker: DockerDaemon;
  readonly #name: string;
  readonly #restartPolicy: object | undefined;
  #id = '';

  constructor(docker: DockerDaemon, name: string, restartPolicy: object | undefined) {
    this.#docker = docker;
    this.#name = name;
    this.#restartPolicy = restartPolicy;
  }

  async tasks(): Promise<Task[]> {
    const filters = encodeURIComponent(JSON.stringify({ service: [this.#name] }));
    return this.#docker.call<Task[]>('GET', `/tasks?filters=${filters}`);
  }

  #running = (tasks: Task[]) =>
    tasks.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');

  async #untilRunning(n: number, timeoutMs: number): Promise<void> {
    await pollUntil(
      `${n} ${this.#name} tasks running`,
      async () => (this.#running(await this.tasks()).length >= n ? true : undefined),
      timeoutMs,
    );
  }

  async create(replicas: number): Promise<number> {
    const t0 = Date.now();
    const created = await this.#docker.call<{ ID: string }>('POST', '/services/create', {
      Name: this.#name,
      TaskTemplate: {
        ContainerSpec: { Image: BASE_IMAGE, Command: ['sh', '-c', IDLE_COMMAND], StopGracePeriod: 2e9 },
        ...(this.#restartPolicy !== undefined ? { RestartPolicy: this.#restartPolicy } : {}),
      },
      Mode: { Replicated: { Replicas: replicas } },
    });
    this.#id = created.ID;
    await this.#untilRunning(replicas, 120_000);
    return Date.now() - t0;
  }

  async #setReplicas(replicas: number): Promise<void> {
    const service = await this.#docker.call<Service>('GET', `/services/${this.#id}`);
    const spec = { ...service.Spec, Mode: { Replicated: { Replicas: replicas } } };
    await this.#docker.call('POST', `/services/${this.#id}/update?version=${service.Version.Index}`, spec);
  }

  async scale(replicas: number): Promise<number> {
    const t0 = Date.now();
    await this.#setReplicas(replicas);
    await this.#untilRunning(replicas, 240_000);
    return Date.now() - t0;
  }

  async scaleDown(replicas: number): Promise<void> {
    await this.#setReplicas(replicas);
    await pollUntil(
      `${this.#name} down to ${replicas} tasks`,
      async () =>
        (await this.tasks()).filter((t) => t.Status.State === 'running').length === replicas
          ? true
          : undefined,
      120_000,
      250,
    );
  }

  /** docker kill of one running task's container; until a new task (not one we knew) runs. */
  async killOneContainer(): Promise<number> {
    const tasks = await this.tasks();
    const known = new Set(tasks.map((t) => t.ID));
    const victim = this.#running(tasks)[0]?.Status.ContainerStatus?.ContainerID;
    if (victim === undefined) throw new Error(`${this.#name}: no running task to kill`);
    const n = this.#running(tasks).length;
    await this.#docker.call('POST', `/containers/${victim}/kill`);
    const t0 = Date.now();
    await pollUntil(
      `${this.#name}: a new task running after a kill`,
      async () => {
        const now = this.#running(await this.tasks());
        return now.length >= n && now.some((t) => !known.has(t.ID)) ? true : undefined;
      },
      60_000,
    );
    return Date.now() - t0;
  }

  async remove(): Promise<void> {
    await this.#docker.call('DELETE', `/services/${this.#id}`);
    await pollUntil(
      `${this.#name} tasks gone`,
      async () => ((await this.#docker.cli('ps', '-q')).trim() === '' ? true : undefined),
      60_000,
      250,
    );
  }
}
