import { type CommandResult, type CommandRunner, runCommand } from '@kedge/proxy';
import { ServiceIpError } from './service-ip-error.ts';

/** How this node reaches ClusterIPs: bound on a dummy interface, or (unprivileged) not at all. */
export type ClusterIpMode = 'virtual' | 'loopback';

export interface VirtualIpBinderOptions {
  /** The dummy interface kedge owns (default kedge0). */
  readonly interfaceName?: string;
  /** Work in this network namespace (`ip -n`): tests, or an agent that manages a namespace. */
  readonly netns?: string;
  readonly run?: CommandRunner;
}

/** The address changes that take the interface from `current` to `desired`. Pure. */
export function planAddressChanges(
  current: readonly string[],
  desired: readonly string[],
): { add: string[]; remove: string[] } {
  const have = new Set(current);
  const want = new Set(desired);
  return {
    add: [...want].filter((ip) => !have.has(ip)).sort(),
    remove: [...have].filter((ip) => !want.has(ip)).sort(),
  };
}

/**
 * Keeps the ClusterIPs of the node's Services bound as /32s on a dummy interface (a port-less bridge
 * where the kernel has no dummy driver), as kube-proxy's
 * IPVS mode does with kube-ipvs0: then the userspace proxy can listen on them and the kernel
 * delivers them locally. Needs CAP_NET_ADMIN; without it the binder reports mode 'loopback' and
 * does nothing, and the proxy falls back to 127.0.0.0/8 ClusterIPs and NodePorts.
 */
export class VirtualIpBinder {
  readonly mode: ClusterIpMode;
  /** Why the binder is in loopback mode, for the operator. */
  readonly reason: string | undefined;
  readonly #iface: string;
  readonly #ipArgs: readonly string[];
  readonly #run: CommandRunner;
  #syncing: Promise<ServiceIpError[]> = Promise.resolve([]);

  private constructor(
    mode: ClusterIpMode,
    reason: string | undefined,
    iface: string,
    ipArgs: string[],
    run: CommandRunner,
  ) {
    this.mode = mode;
    this.reason = reason;
    this.#iface = iface;
    this.#ipArgs = ipArgs;
    this.#run = run;
  }

  /**
   * Creates (or adopts) the dummy interface and brings it up. Lack of privilege is not an error:
   * it selects loopback mode. Any other failure (no `ip`, no dummy driver) is.
   */
  static async start(options: VirtualIpBinderOptions = {}): Promise<VirtualIpBinder | ServiceIpError> {
    const iface = options.interfaceName ?? 'kedge0';
    const run = options.run ?? runCommand;
    const ipArgs = options.netns ? ['-n', options.netns] : [];
    let add = await run('ip', [...ipArgs, 'link', 'add', iface, 'type', 'dummy']);
    // Kernels built without the dummy driver (some VM kernels have no modules): a bridge with no
    // ports holds local addresses just as well.
    if (/Unknown device type/.test(add.stderr))
      add = await run('ip', [...ipArgs, 'link', 'add', iface, 'type', 'bridge']);
    if (add.code !== 0 && !/File exists/.test(add.stderr)) {
      if (/Operation not permitted/.test(add.stderr))
        return new VirtualIpBinder(
          'loopback',
          `cannot create ${iface} (no CAP_NET_ADMIN); ClusterIPs outside 127.0.0.0/8 are reached through NodePorts only`,
          iface,
          ipArgs,
          run,
        );
      return commandError(`create the dummy interface ${iface}`, add);
    }
    const up = await run('ip', [...ipArgs, 'link', 'set', iface, 'up']);
    if (up.code !== 0) return commandError(`bring ${iface} up`, up);
    return new VirtualIpBinder('virtual', undefined, iface, ipArgs, run);
  }

  /** The IPv4 addresses bound on the interface now. */
  async boundAddresses(): Promise<string[] | ServiceIpError> {
    const r = await this.#run('ip', [...this.#ipArgs, '-j', '-4', 'addr', 'show', 'dev', this.#iface]);
    if (r.code !== 0) return commandError(`list the addresses of ${this.#iface}`, r);
    const links = JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string }[] }[];
    return links.flatMap((l) => (l.addr_info ?? []).flatMap((a) => (a.local ? [a.local] : [])));
  }

  /**
   * Binds exactly `clusterIps` (headless 'None' and '' ignored): adds the missing, removes the rest,
   * in one `ip -batch` run. Calls are serialized so two quick Service changes never interleave.
   */
  sync(clusterIps: readonly string[]): Promise<ServiceIpError[]> {
    this.#syncing = this.#syncing.then(() => this.#sync(clusterIps));
    return this.#syncing;
  }

  /** Removes every address and, unless asked to keep it, the interface. */
  async stop(keepInterface = false): Promise<ServiceIpError[]> {
    if (this.mode === 'loopback') return [];
    const errors = await this.sync([]);
    if (!keepInterface) {
      const del = await this.#run('ip', [...this.#ipArgs, 'link', 'del', this.#iface]);
      if (del.code !== 0) errors.push(commandError(`delete ${this.#iface}`, del));
    }
    return errors;
  }

  async #sync(clusterIps: readonly string[]): Promise<ServiceIpError[]> {
    if (this.mode === 'loopback') return [];
    const current = await this.boundAddresses();
    if (current instanceof ServiceIpError) return [current];
    const desired = clusterIps.filter((ip) => ip !== '' && ip !== 'None');
    const { add, remove } = planAddressChanges(current, desired);
    if (add.length === 0 && remove.length === 0) return [];
    const script = [
      ...remove.map((ip) => `addr del ${ip}/32 dev ${this.#iface}`),
      ...add.map((ip) => `addr add ${ip}/32 dev ${this.#iface}`),
    ].join('\n');
    // -force: one bad line must not leave the rest unapplied; the failures are reported below.
    const r = await this.#run('ip', [...this.#ipArgs, '-force', '-batch', '-'], `${script}\n`);
    return r.code === 0 ? [] : [commandError(`bind ClusterIPs on ${this.#iface}`, r)];
  }
}

function commandError(what: string, r: CommandResult): ServiceIpError {
  const detail = r.stderr.trim() || `exit code ${r.code}`;
  return new ServiceIpError(
    'Unavailable',
    `could not ${what}: ${detail}; check that iproute2 is installed and the agent runs with CAP_NET_ADMIN`,
  );
}
