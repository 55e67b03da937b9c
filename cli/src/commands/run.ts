/** `kedge run NAME --image=IMAGE [--port] [--env K=V] [--labels] [--restart=Never] [-- cmd args]`: one pod. */
import type { KubeObject } from '../api.ts';
import { type ResourceInfo, resolveResource } from '../api.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { usageError } from '../errors.ts';

export const runCommand: CommandSpec = {
  name: 'run',
  group: 'basic',
  summary: 'Run a pod from an image',
  usage: `kedge run NAME --image=IMAGE [--port=P] [--env=K=V]... [--labels=k=v,...] [--restart=Always|OnFailure|Never] [--command] [-- ARGS...]
  kedge run web --image=localhost/kedge/busybox:latest --port=80 -- httpd -f -p 80
  kedge run once --image=localhost/kedge/busybox:latest --restart=Never -- echo hello`,
  flags: [
    { name: 'image', type: 'string', help: 'The container image' },
    { name: 'port', type: 'int', help: 'A port the container exposes' },
    { name: 'env', type: 'strings', help: 'An environment variable K=V (repeatable)' },
    { name: 'labels', short: 'L', type: 'string', help: 'Labels k=v,k2=v2 (default run=NAME)' },
    {
      name: 'restart',
      type: 'string',
      help: 'Restart policy: Always, OnFailure or Never',
      default: 'Always',
    },
    { name: 'command', type: 'bool', help: 'Treat the words after -- as the command, not arguments' },
    { name: 'dry-run', type: 'string', help: 'client: print the pod instead of creating it' },
    { name: 'output', short: 'o', type: 'string', help: 'With --dry-run=client: json or yaml' },
  ],
  run: async (inv: Invocation) => {
    const pod = podFor(inv);
    if (inv.flags.string('dry-run') === 'client') {
      inv.out(`${JSON.stringify(pod, null, 2)}\n`);
      return 0;
    }
    const info = resolveResource('pods') as ResourceInfo;
    const ns = inv.namespace();
    pod.metadata.namespace = ns;
    await inv.client().create(info, ns, pod, { fieldManager: 'kubectl-run' });
    inv.out(`pod/${pod.metadata.name} created\n`);
    return 0;
  },
};

/** The pod `kedge run` creates, as kubectl's generator makes it. Pure given the flags. */
export function podFor(inv: Pick<Invocation, 'args' | 'flags' | 'afterDashDash'>): KubeObject {
  const [name] = inv.args;
  if (!name || inv.args.length > 1)
    throw usageError(
      'NAME is required for run, as the only argument before --',
      'Usage: kedge run NAME --image=IMAGE',
    );
  const image = inv.flags.string('image');
  if (!image)
    throw usageError(
      'required flag "image" not set',
      'Example: kedge run web --image=localhost/kedge/busybox:latest',
    );
  const restart = inv.flags.string('restart') ?? 'Always';
  if (!['Always', 'OnFailure', 'Never'].includes(restart))
    throw usageError(`invalid restart policy: ${restart}; use Always, OnFailure or Never`);
  const labels: Record<string, string> = {};
  for (const kv of (inv.flags.string('labels') ?? `run=${name}`).split(',').filter(Boolean)) {
    const [k, v = ''] = kv.split('=', 2);
    labels[k as string] = v;
  }
  const env = inv.flags.strings('env').map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usageError(`invalid env: ${kv}; use --env=NAME=value`);
    return { name: kv.slice(0, eq), value: kv.slice(eq + 1) };
  });
  const port = inv.flags.int('port');
  const words = [...inv.afterDashDash];
  const container: Record<string, unknown> = {
    name,
    image,
    ...(words.length > 0 ? (inv.flags.bool('command') ? { command: words } : { args: words }) : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(port ? { ports: [{ containerPort: port }] } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [container], restartPolicy: restart },
  } as KubeObject;
}
