import type { EndpointView } from '../endpoint-table-types.ts';
import { ProxyError } from '../proxy-error.ts';
import type { ProxyService } from '../service-types.ts';
import { type CommandResult, type CommandRunner, runCommand } from '../system-command.ts';
import { EMPTY_NFT_PLAN, type NftPlan, planNft } from './nft-plan.ts';
import { diffScript, fullScript, TABLE } from './nft-script.ts';

export interface NftFastPathOptions {
  /** Work in this network namespace (`ip netns exec`): tests, or an agent that manages one. */
  readonly netns?: string;
  readonly run?: CommandRunner;
}

/**
 * The kernel fast path: `table ip kedge` DNATs ClusterIP and NodePort traffic straight to a ready
 * backend, as kube-proxy's nftables mode does, so packets never climb to userspace. It follows the
 * Services and the endpoint table by applying one nft transaction per change (nft -f is atomic).
 *
 * What it cannot do, the userspace ServiceProxy still does, and it keeps listening underneath as
 * the fallback: passive health (the kernel keeps picking a dead backend until gossip drops it),
 * retrying another backend on a refused connect, least-connections. Connections to a removed
 * backend drain by themselves: conntrack keeps them on their backend; only new ones avoid it.
 */
export class NftFastPath {
  readonly #run: CommandRunner;
  readonly #prefix: readonly string[];
  #applied: NftPlan = EMPTY_NFT_PLAN;
  #services: readonly ProxyService[] = [];
  #view: EndpointView = new Map();
  #applying: Promise<ProxyError[]> = Promise.resolve([]);
  #stopped = false;

  private constructor(run: CommandRunner, prefix: string[]) {
    this.#run = run;
    this.#prefix = prefix;
  }

  /**
   * Checks for nft and the privilege to use it by installing the empty table. A node without them
   * gets an 'Unavailable' error and runs on the userspace proxy alone.
   */
  static async start(options: NftFastPathOptions = {}): Promise<NftFastPath | ProxyError> {
    const fast = new NftFastPath(
      options.run ?? runCommand,
      options.netns ? ['netns', 'exec', options.netns] : [],
    );
    const version = await fast.#nft(['--version']);
    if (version.code !== 0)
      return new ProxyError(
        'Unavailable',
        `nft is not usable (${version.stderr.trim() || `exit ${version.code}`}); install Debian's nftables for the kernel fast path, the userspace proxy carries the traffic meanwhile`,
      );
    const init = await fast.#nft(['-f', '-'], fullScript(EMPTY_NFT_PLAN));
    if (init.code !== 0) return nftError('install the kedge table', init);
    return fast;
  }

  /** The plan the kernel holds now. */
  get applied(): NftPlan {
    return this.#applied;
  }

  setServices(services: readonly ProxyService[]): Promise<ProxyError[]> {
    this.#services = services;
    return this.#reconcile();
  }

  setEndpoints(view: EndpointView): Promise<ProxyError[]> {
    this.#view = view;
    return this.#reconcile();
  }

  /** Removes the table: every kedge rule leaves the kernel; traffic falls to the userspace proxy. */
  async stop(): Promise<ProxyError[]> {
    this.#stopped = true;
    await this.#applying;
    const r = await this.#nft(['delete', 'table', ...TABLE.split(' ')]);
    if (r.code !== 0 && !/No such file or directory/.test(r.stderr))
      return [nftError('delete the kedge table', r)];
    return [];
  }

  /** Serialized: each apply diffs against what the previous one left. */
  #reconcile(): Promise<ProxyError[]> {
    this.#applying = this.#applying.then(() => this.#apply());
    return this.#applying;
  }

  async #apply(): Promise<ProxyError[]> {
    if (this.#stopped) return [];
    const next = planNft(this.#services, this.#view);
    const script = diffScript(this.#applied, next);
    if (script === '') return [];
    const r = await this.#nft(['-f', '-'], script);
    if (r.code === 0) {
      this.#applied = next;
      return [];
    }
    // The table was changed behind our back (flushed by hand, another tool): rebuild it whole.
    const full = await this.#nft(['-f', '-'], fullScript(next));
    if (full.code !== 0) return [nftError('update the kedge table', full)];
    this.#applied = next;
    return [];
  }

  #nft(args: string[], stdin?: string): Promise<CommandResult> {
    return this.#prefix.length === 0
      ? this.#run('nft', args, stdin)
      : this.#run('ip', [...this.#prefix, 'nft', ...args], stdin);
  }
}

function nftError(what: string, r: CommandResult): ProxyError {
  const detail = r.stderr.trim() || `exit code ${r.code}`;
  const advice = /Operation not permitted/.test(detail)
    ? 'the agent needs CAP_NET_ADMIN for the kernel fast path; the userspace proxy carries the traffic meanwhile'
    : 'the userspace proxy carries the traffic meanwhile';
  return new ProxyError('Unavailable', `could not ${what}: ${detail}; ${advice}`);
}
