import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const NODE = join(process.cwd(), 'node_modules/.bin/node');

/** A network namespace this test made; destroy() removes it and every process started in it. */
export interface TestNetns {
  readonly name: string;
  /** Runs a command inside the namespace; throws with its stderr on failure. */
  exec(file: string, args: readonly string[], input?: string): string;
  /** Starts a Node script inside the namespace, talking JSON lines on stdin/stdout. */
  spawnNode(script: string, args?: readonly string[]): NetnsChild;
  destroy(): void;
}

/** Why this process cannot create network namespaces (needs root and iproute2), or undefined if it can. */
export function netnsUnavailable(): string | undefined {
  const name = `kedge-test-probe-${randomBytes(3).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot create a network namespace: ${String(err)}`;
  }
}

export function createNetns(prefix = 'kedge-test'): TestNetns {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  const children: NetnsChild[] = [];
  const exec = (file: string, args: readonly string[], input?: string) =>
    execFileSync('ip', ['netns', 'exec', name, file, ...args], {
      encoding: 'utf8',
      ...(input !== undefined ? { input } : {}),
    });
  exec('ip', ['link', 'set', 'lo', 'up']);
  return {
    name,
    exec,
    spawnNode(script, args = []) {
      const child = new NetnsChild(
        spawn('ip', ['netns', 'exec', name, NODE, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }),
      );
      children.push(child);
      return child;
    },
    destroy() {
      for (const c of children) c.kill();
      // Processes still inside would keep the namespace's sockets; the kill above is synchronous.
      execFileSync('ip', ['netns', 'del', name]);
    },
  };
}

/** A child process answering one JSON line per request line, matched by id. */
export class NetnsChild {
  readonly process: ChildProcess;
  readonly stderr: string[] = [];
  #next = 1;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(child: ChildProcess) {
    this.process = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { id: number; error?: string; result?: unknown };
      const w = this.#waiting.get(msg.id);
      this.#waiting.delete(msg.id);
      if (msg.error !== undefined) w?.reject(new Error(msg.error));
      else w?.resolve(msg.result);
    });
    child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    child.once('exit', (code, signal) => {
      for (const w of this.#waiting.values())
        w.reject(new Error(`child exited (${code ?? signal}): ${this.stderr.join('')}`));
      this.#waiting.clear();
    });
  }

  call<T>(op: string, body: object = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.stdin!.write(`${JSON.stringify({ id, op, ...body })}\n`);
    });
  }

  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }
}
