import { closeSync, constants, openSync, readSync } from 'node:fs';

/**
 * Which containers the kernel OOM-killed, read from the kernel log (/dev/kmsg), the way
 * cAdvisor's oomparser does it for the kubelet. Needed because podman with cgroup v1 reports
 * `OOMKilled: false` even when the kernel killed the container's process at its memory limit
 * (checked here: podman 4.3, conmon 2.1.6, runc, cgroupfs).
 */

/**
 * 64-hex ids in a memory cgroup path (libpod-<id>, docker-<id>.scope, /docker/<id>). The
 * container's is the last one: a podman pod's own id comes before it in the path.
 */
const HEX_ID = /[0-9a-f]{64}/g;

/**
 * The container whose process a kernel log record says was OOM-killed, or undefined. Kernels 5.x+
 * print `oom-kill:...,task_memcg=<cgroup>,task=...`; older ones `Task in <cgroup> killed as a
 * result of limit of <cgroup>`.
 */
export function oomKilledContainer(record: string): string | undefined {
  const modern = /oom-kill:.*task_memcg=([^,\s]+)/.exec(record);
  const legacy = modern ? undefined : /Task in (\S+) killed as a result of limit/.exec(record);
  const cgroup = modern?.[1] ?? legacy?.[1];
  if (!cgroup) return undefined;
  return cgroup.match(HEX_ID)?.at(-1);
}

export interface KernelOomLog {
  /** True when the kernel log says this container (full id) had a process OOM-killed. */
  wasOomKilled(containerId: string): boolean;
  /** Why the log cannot be read (not root, not Linux), or undefined when it can. */
  readonly unavailableReason: string | undefined;
  close(): void;
}

export interface KernelOomLogOptions {
  readonly path?: string;
  /** How many OOM-killed container ids to remember. */
  readonly capacity?: number;
}

/**
 * Keeps /dev/kmsg open and reads what is new on each question: a fresh open replays the whole
 * ring buffer, a kept descriptor continues where it stopped.
 */
export function kernelOomLog(options: KernelOomLogOptions = {}): KernelOomLog {
  const path = options.path ?? '/dev/kmsg';
  const capacity = options.capacity ?? 4096;
  const killed = new Set<string>();
  let fd: number | undefined;
  let unavailableReason: string | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    unavailableReason = `cannot read ${path} (${code}): OOM kills the runtime misses will show as exit 137 "Error"; run the agent as root to detect them`;
  }
  const buffer = Buffer.alloc(16 * 1024);

  function drain(): void {
    if (fd === undefined) return;
    for (;;) {
      let bytes: number;
      try {
        bytes = readSync(fd, buffer, 0, buffer.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return;
        // EPIPE: records were overwritten while we were away; the next read resumes after them.
        if (code === 'EPIPE') continue;
        throw err;
      }
      if (bytes === 0) return;
      const id = oomKilledContainer(buffer.toString('utf8', 0, bytes));
      if (id) {
        killed.add(id);
        if (killed.size > capacity) {
          const oldest = killed.values().next().value;
          if (oldest !== undefined) killed.delete(oldest);
        }
      }
    }
  }

  return {
    get unavailableReason() {
      return unavailableReason;
    },
    wasOomKilled(containerId) {
      drain();
      return killed.has(containerId);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
