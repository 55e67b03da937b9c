/**
 * ClusterIPs and NodePorts are handed out by one agent only, the leader, so that two API servers
 * never give one address to two Services: every voter's API asks the leader's book before it
 * proposes a Service (a follower over HTTPS with its node certificate), and the book is rebuilt
 * from the stored Services each time an agent becomes leader.
 *
 *   voter API: Service create ──> ServiceAddressBackend ──> grantor.grant(request)
 *                                      │ leading? ── yes ──> LeaderAddressBook.grant (in memory)
 *                                      │            no  ──> POST https://<leader>/kedge/control/v1/service-addresses
 *                                      ▼
 *                                 propose the Service with the grant written in (Raft)
 *   leader term: build the book from the stored Services, then rebuild it every 30 s (repair):
 *   what the store holds, plus what was granted in the last 30 s (proposals still in flight).
 *
 * A grant whose write never lands (the client's create failed, the follower crashed) is given back
 * by the follower, or at the latest by the next repair.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, isStatusError, makeStatus, StatusError, serviceUnavailable } from '../api/errors.ts';
import type { Service } from '../api/types/core.ts';
import type { Status } from '../api/types/meta.ts';
import type { ObjectBackend } from '../apiserver/backend.ts';
import { callAgent } from '../cluster/agent-client.ts';
import type { LeaderComponent } from '../cluster/leader-components.ts';
import { isAgent, type RouteHandler, sendJson, sendStatus } from '../node/node-routes.ts';
import { ServiceIpError } from '../services/service-ip-error.ts';
import {
  type AddressGrant,
  type AddressRequest,
  defaultServiceAddressConfig,
  ServiceAddressBook,
  type ServiceAddressConfig,
} from './service-address-book.ts';

export const SERVICE_ADDRESSES_PATH = '/kedge/control/v1/service-addresses';
const REPAIR_INTERVAL_MS = 30_000;

/** Grants and releases Service addresses, wherever the book is. */
export interface AddressGrantor {
  grant(request: AddressRequest): Promise<AddressGrant | StatusError>;
  release(service: string): Promise<void>;
}

export interface LeaderAddressBookOptions {
  readonly config?: ServiceAddressConfig;
  readonly repairIntervalMs?: number;
  readonly now?: () => number;
  readonly log: (message: string) => void;
}

/** The book while this agent leads; nothing (ServiceUnavailable) otherwise. */
export class LeaderAddressBook implements AddressGrantor {
  readonly #o: LeaderAddressBookOptions;
  /** Settles with the book once built for the current term; undefined while not leading. */
  #book: Promise<ServiceAddressBook | StatusError> | undefined;
  /** Grants of the last repair interval, re-applied over each rebuild. */
  readonly #recent = new Map<string, { request: AddressRequest; at: number }>();

  constructor(options: LeaderAddressBookOptions) {
    this.#o = options;
  }

  leading(): boolean {
    return this.#book !== undefined;
  }

  /** The leader component that builds the book for each term and repairs it. */
  component<Context extends { readonly backend: ObjectBackend }>(): LeaderComponent<Context> {
    return {
      name: 'service-addresses',
      run: async ({ backend }, signal) => {
        this.#recent.clear();
        this.#book = this.#build(backend);
        const timer = setInterval(() => {
          const next = this.#build(backend);
          // Swap only once built: grants meanwhile go to the old book and are re-applied as recent.
          void next.then((built) => {
            if (!signal.aborted && !(built instanceof StatusError)) this.#book = Promise.resolve(built);
          });
        }, this.#o.repairIntervalMs ?? REPAIR_INTERVAL_MS);
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        clearInterval(timer);
        this.#book = undefined;
      },
    };
  }

  async grant(request: AddressRequest): Promise<AddressGrant | StatusError> {
    const book = await this.#book;
    if (book === undefined) return notLeading();
    if (book instanceof StatusError) return book;
    const grant = book.grant(request);
    if (!(grant instanceof StatusError)) this.#recent.set(request.service, { request, at: this.#now() });
    return grant;
  }

  async release(service: string): Promise<void> {
    this.#recent.delete(service);
    const book = await this.#book;
    if (book instanceof ServiceAddressBook) book.release(service);
  }

  async #build(backend: ObjectBackend): Promise<ServiceAddressBook | StatusError> {
    let services: Service[];
    try {
      const list = await backend.list({ group: '', resource: 'services' }, {});
      services = list.items as unknown as Service[];
    } catch (error) {
      this.#o.log(`service addresses: cannot list Services: ${(error as Error).message}`);
      return isStatusError(error) ? error : serviceUnavailable('the Service list could not be read', 1);
    }
    const built = ServiceAddressBook.fromServices(this.#o.config ?? defaultServiceAddressConfig, services);
    if (built instanceof ServiceIpError) {
      this.#o.log(`service addresses: ${built.message}`);
      return new StatusError(makeStatus('InternalError', built.message));
    }
    for (const p of built.problems) this.#o.log(`service addresses: stored Services disagree: ${p}`);
    const horizon = this.#now() - (this.#o.repairIntervalMs ?? REPAIR_INTERVAL_MS);
    for (const [service, { request, at }] of this.#recent) {
      if (at < horizon) this.#recent.delete(service);
      else built.book.grant(request);
    }
    return built.book;
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}

const notLeading = () =>
  serviceUnavailable('this agent no longer leads; the Service addresses are handed out by the new leader', 1);

interface WireRequest {
  readonly op: 'grant' | 'release';
  readonly request?: AddressRequest;
  readonly service?: string;
}

/** The leader's end of the followers' calls (node certificates only). */
export function serviceAddressRoutes(book: LeaderAddressBook): RouteHandler {
  return (req, res) => {
    if ((req.url ?? '') !== SERVICE_ADDRESSES_PATH) return false;
    if (!isAgent(req)) {
      sendStatus(res, makeStatus('Forbidden', "only the cluster's agents may ask for Service addresses"));
      return true;
    }
    if (req.method !== 'POST') {
      sendStatus(res, makeStatus('MethodNotAllowed', 'POST a grant or release request'));
      return true;
    }
    void serve(book, req, res);
    return true;
  };
}

async function serve(book: LeaderAddressBook, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let body: WireRequest;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WireRequest;
  } catch (error) {
    sendStatus(res, badRequest(`the request is not JSON: ${(error as Error).message}`));
    return;
  }
  if (body.op === 'release' && typeof body.service === 'string') {
    await book.release(body.service);
    sendJson(res, 200, {});
  } else if (body.op === 'grant' && body.request !== undefined) {
    const grant = await book.grant(body.request);
    if (grant instanceof StatusError) sendStatus(res, grant);
    else sendJson(res, 200, grant);
  } else
    sendStatus(
      res,
      badRequest('expected {"op":"grant","request":{...}} or {"op":"release","service":"ns/name"}'),
    );
}

export interface ClusterGrantorOptions {
  readonly book: LeaderAddressBook;
  /** The leader's API address (host:port), when this agent knows who leads. */
  readonly leaderAddress: () => string | undefined;
  readonly caPem: string;
  readonly nodeCert: { readonly cert: string; readonly key: string };
  readonly log: (message: string) => void;
}

/** Asks the book here when leading, else the leader over HTTPS. */
export function clusterGrantor(o: ClusterGrantorOptions): AddressGrantor {
  const remote = async (body: WireRequest): Promise<unknown> => {
    const leader = o.leaderAddress();
    if (leader === undefined) return notLeading();
    try {
      const reply = await callAgent(leader, SERVICE_ADDRESSES_PATH, {
        method: 'POST',
        body,
        ca: o.caPem,
        clientCert: o.nodeCert,
        timeoutMs: 5000,
      });
      if (reply.status === 200) return reply.json;
      return StatusError.fromStatus(reply.json as Status);
    } catch (error) {
      return serviceUnavailable(`the leader ${leader} did not answer: ${(error as Error).message}`, 1);
    }
  };
  return {
    async grant(request) {
      if (o.book.leading()) return o.book.grant(request);
      return (await remote({ op: 'grant', request })) as AddressGrant | StatusError;
    },
    async release(service) {
      if (o.book.leading()) return o.book.release(service);
      const out = await remote({ op: 'release', service });
      if (out instanceof StatusError)
        o.log(
          `service addresses: the leader did not take back ${service} (${out.message}); its next repair will`,
        );
    },
  };
}
