import { describe, expect, it } from 'vitest';
import { renderContainersConf } from '../../../agent/src/runtime/containers-conf.ts';
import { LABEL, matchesLabels, sandboxRuntimeName } from '../../../agent/src/runtime/labels.ts';
import { oomKilledContainer } from '../../../agent/src/runtime/oom-kernel-log.ts';
import {
  containerCreateArgs,
  publishFlag,
  sandboxCreateArgs,
} from '../../../agent/src/runtime/podman-args.ts';
import {
  parseByteSize,
  parseContainerInspect,
  parseJsonRecords,
  parseStatsRecord,
} from '../../../agent/src/runtime/podman-json.ts';
import { cpuNanoCores } from '../../../agent/src/runtime/podman-runtime.ts';

const pod = {
  name: 'web',
  uid: '0123456789abcdef',
  namespace: 'shop',
  labels: { app: 'web' },
  hostname: 'web-0',
  portMappings: [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'TCP' as const }],
  dns: { servers: ['10.0.0.10'], searches: ['shop.svc.cluster.local'] },
};
const sandbox = { id: 'sbx', uid: pod.uid, name: pod.name, namespace: pod.namespace };
const flags = ['--ulimit', 'nofile=1024:1024'];

describe('CLI arguments', () => {
  it('a podman sandbox is a pod with ownership labels, ports, hostname and DNS', () => {
    const args = sandboxCreateArgs(sandboxRuntimeName(pod), pod, {
      nodeName: 'n1',
      kind: 'pod',
      pauseImage: 'img',
      pauseCommand: ['sleep'],
      containerFlags: flags,
    });
    expect(args.slice(0, 2)).toEqual(['pod', 'create']);
    expect(args).toContain(`${LABEL.podUid}=${pod.uid}`);
    expect(args).toContain(`${LABEL.node}=n1`);
    expect(args).toContain('app=web');
    expect(args.join(' ')).toContain('--publish 127.0.0.1:8080:80/tcp');
    expect(args.join(' ')).toContain('--hostname web-0');
    expect(args.join(' ')).toContain('--dns 10.0.0.10 --dns-search shop.svc.cluster.local');
  });

  it('a docker sandbox is a pause container that others join', () => {
    const args = sandboxCreateArgs('s', pod, {
      nodeName: 'n1',
      kind: 'pause-container',
      pauseImage: 'pause:1',
      pauseCommand: ['sleep', 'inf'],
      containerFlags: flags,
    });
    expect(args.slice(0, 2)).toEqual(['run', '--detach']);
    expect(args.slice(-2)).toEqual(['pause:1', 'inf']);
    expect(args.join(' ')).toContain('--entrypoint sleep');
    const joined = containerCreateArgs(
      'c',
      sandbox,
      { name: 'app', image: 'img' },
      {
        nodeName: 'n1',
        kind: 'pause-container',
        containerFlags: flags,
      },
    );
    expect(joined.join(' ')).toContain('--network container:sbx --ipc container:sbx');
  });

  it('a container gets limits, mounts, env, user and Kubernetes command/args semantics', () => {
    const args = containerCreateArgs(
      'c',
      sandbox,
      {
        name: 'app',
        image: 'img:1',
        command: ['sh', '-c'],
        args: ['echo $A'],
        env: { A: 'x=y z' },
        mounts: [{ hostPath: '/data', containerPath: '/d', readOnly: true }],
        memoryLimitBytes: 64 * 1024 * 1024,
        cpuLimit: 0.25,
        workingDir: '/work',
        user: '1000:1000',
        attempt: 3,
      },
      { nodeName: 'n1', kind: 'pod', containerFlags: flags },
    );
    const text = args.join(' ');
    expect(text).toContain('--pod sbx');
    expect(text).toContain('--pull never');
    expect(args).toContain('A=x=y z');
    expect(text).toContain('--volume /data:/d:ro');
    expect(text).toContain('--memory 67108864 --memory-swap 67108864');
    expect(text).toContain('--cpus 0.25');
    expect(text).toContain('--workdir /work --user 1000:1000');
    expect(args).toContain(`${LABEL.containerAttempt}=3`);
    // Entrypoint is the command's first word; the rest and the args follow the image.
    expect(args.slice(-5)).toEqual(['--entrypoint', 'sh', 'img:1', '-c', 'echo $A']);
  });

  it('without command the image entrypoint stays and args replace its cmd', () => {
    const args = containerCreateArgs(
      'c',
      sandbox,
      { name: 'a', image: 'img', args: ['-v'] },
      {
        nodeName: 'n',
        kind: 'pod',
        containerFlags: [],
      },
    );
    expect(args).not.toContain('--entrypoint');
    expect(args.slice(-2)).toEqual(['img', '-v']);
  });

  it('publishes IPv6 and UDP ports in the CLI syntax', () => {
    expect(publishFlag({ hostIp: '::1', hostPort: 53, containerPort: 53, protocol: 'UDP' })).toBe(
      '[::1]:53:53/udp',
    );
    expect(publishFlag({ hostIp: '', hostPort: 80, containerPort: 8080, protocol: 'TCP' })).toBe(
      '80:8080/tcp',
    );
  });

  it('label filters need every key to match', () => {
    expect(matchesLabels({ a: '1', b: '2' }, { a: '1' })).toBe(true);
    expect(matchesLabels({ a: '1' }, { a: '1', b: '2' })).toBe(false);
    expect(matchesLabels({ a: '1' }, undefined)).toBe(true);
  });

  it('containers.conf carries the ulimits for pod infra containers', () => {
    expect(renderContainersConf(['nofile=1024:1024', 'nproc=1024:1024'])).toContain(
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
    );
  });
});

describe('parsing runtime output', () => {
  it('reads arrays, single objects and one object per line; empty is nothing', () => {
    expect(parseJsonRecords('')).toEqual([]);
    expect(parseJsonRecords('[{"a":1}]')).toEqual([{ a: 1 }]);
    expect(parseJsonRecords('{"a":1}')).toEqual([{ a: 1 }]);
    expect(parseJsonRecords('{"a":1}\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('maps podman and docker inspect to one status, with zero times as undefined', () => {
    const podman = parseContainerInspect({
      Id: 'abc',
      Name: 'kedge_x_app_0',
      ImageName: 'localhost/kedge/busybox:latest',
      Image: 'sha',
      Pod: 'pod1',
      State: {
        Status: 'exited',
        ExitCode: 1,
        OOMKilled: false,
        StartedAt: '2026-01-01T00:00:00Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      Config: { Labels: { [LABEL.containerName]: 'app', [LABEL.containerAttempt]: '2' } },
    });
    expect(podman).toMatchObject({
      id: 'abc',
      name: 'app',
      state: 'exited',
      exitCode: 1,
      reason: 'Error',
      attempt: 2,
      sandboxId: 'pod1',
    });
    expect(podman.startedAt?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(podman.finishedAt).toBeUndefined();

    const docker = parseContainerInspect({
      Id: 'd',
      Name: '/plain',
      State: { Status: 'running' },
      Config: { Image: 'busybox', Labels: null },
    });
    expect(docker).toMatchObject({
      name: 'plain',
      state: 'running',
      exitCode: undefined,
      image: 'busybox',
      reason: undefined,
    });
    expect(parseContainerInspect({ Id: 'x', State: { Status: 'exited', ExitCode: 137 } }, true).reason).toBe(
      'OOMKilled',
    );
    expect(parseContainerInspect({}).state).toBe('unknown');
  });

  it('reads podman stats numbers, docker stats text, and skips stopped containers', () => {
    const podman = parseStatsRecord({
      ContainerID: 'c1',
      CPUNano: 5e8,
      SystemNano: 2e9,
      CPU: 12.5,
      MemUsage: 2146304,
      MemLimit: 33554432,
      PIDs: 1,
    });
    expect(podman).toMatchObject({
      id: 'c1',
      cpuTotalNanos: 5e8,
      memoryBytes: 2146304,
      memoryLimitBytes: 33554432,
    });
    expect(parseStatsRecord({ ContainerID: 'c2', SystemNano: 0 })).toBeUndefined();
    const docker = parseStatsRecord({ ID: 'd1', CPUPerc: '50.00%', MemUsage: '2MiB / 32MiB', PIDs: '3' });
    expect(docker).toMatchObject({
      cpuPercent: 50,
      memoryBytes: 2 * 1024 * 1024,
      memoryLimitBytes: 32 * 1024 * 1024,
      pids: 3,
    });
    expect(parseByteSize('2.146MB')).toBe(2_146_000);
    expect(parseByteSize('0B')).toBe(0);
    expect(parseByteSize('lots')).toBeUndefined();
  });

  it('CPU use is the rate between two samples, else the runtime’s own percentage', () => {
    const at = (cpu: number, t: number) => ({
      id: 'c',
      cpuTotalNanos: cpu,
      sampledAtNanos: t,
      cpuPercent: 10,
      memoryBytes: 0,
      memoryLimitBytes: undefined,
      pids: 1,
    });
    expect(cpuNanoCores(at(0, 0), at(5e8, 1e9))).toBe(5e8);
    expect(cpuNanoCores(undefined, at(5e8, 1e9))).toBe(1e8);
    // A restarted container's counter went back: not a negative rate.
    expect(cpuNanoCores(at(9e8, 0), at(1e8, 1e9))).toBe(1e8);
  });
});

describe('kernel OOM log', () => {
  it('finds the container (not its pod) in modern and legacy records', () => {
    const podId = 'a'.repeat(64);
    const ctrId = 'b'.repeat(64);
    expect(
      oomKilledContainer(
        `6,641,529067153,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=libpod-${ctrId},mems_allowed=0,oom_memcg=/libpod_parent/${podId}/libpod-${ctrId},task_memcg=/libpod_parent/${podId}/libpod-${ctrId},task=sh,pid=10043,uid=0`,
      ),
    ).toBe(ctrId);
    expect(
      oomKilledContainer(`Task in /docker/${ctrId} killed as a result of limit of /docker/${ctrId}`),
    ).toBe(ctrId);
    expect(oomKilledContainer('6,1,1,-;eth0: link up')).toBeUndefined();
    expect(
      oomKilledContainer('oom-kill:constraint=CONSTRAINT_NONE,task_memcg=/user.slice,task=x'),
    ).toBeUndefined();
  });
});
