/**
 * The voter's ObjectBackend with Service addresses filled in before a write is proposed:
 *
 *   create Service ──requestOf──> grantor.grant ──> refusal: Invalid ("provided IP is already allocated")
 *        │                                      └─> the Service with spec.clusterIP(s) and nodePorts
 *        ▼ inner.create (a Raft proposal); if it fails, a fresh grant is given back
 *   update Service ──> the same grant (idempotent for what it holds; new NodePorts for new ports)
 *   delete Service, removed ──> grantor.release
 * Everything else passes through untouched.
 */
import { StatusError } from '../api/errors.ts';
import type { Service } from '../api/types/core.ts';
import type { KubeList, KubeObject } from '../api/types/meta.ts';
import type { ObjectBackend, WatchEvent, WatchOptions, WatchStream } from '../apiserver/backend.ts';
import type { CreateCommand, DeleteCommand, UpdateCommand, UpdateStatusCommand } from '../store/commands.ts';
import type { ObjectKey, ResourceRef } from '../store/keys.ts';
import type { ListOptions } from '../store/list.ts';
import { requestOf, withGrant } from './service-address-book.ts';
import type { AddressGrantor } from './service-address-leader.ts';

const isServices = (c: { group: string; resource: string }) => c.group === '' && c.resource === 'services';

export class ServiceAddressBackend implements ObjectBackend {
  readonly #inner: ObjectBackend;
  readonly #grantor: AddressGrantor;

  constructor(inner: ObjectBackend, grantor: AddressGrantor) {
    this.#inner = inner;
    this.#grantor = grantor;
  }

  get(key: ObjectKey): Promise<KubeObject> {
    return this.#inner.get(key);
  }

  list(ref: ResourceRef, options: ListOptions): Promise<KubeList> {
    return this.#inner.list(ref, options);
  }

  watch(ref: ResourceRef, options: WatchOptions, sink: (event: WatchEvent) => void): Promise<WatchStream> {
    return this.#inner.watch(ref, options, sink);
  }

  async create(command: CreateCommand): Promise<KubeObject> {
    if (!isServices(command)) return this.#inner.create(command);
    const service = command.object as unknown as Service;
    const request = requestOf(service);
    if (request === undefined) return this.#inner.create(command);
    const grant = await this.#grantor.grant(request);
    if (grant instanceof StatusError) throw grant;
    const object = withGrant(service, grant) as unknown as KubeObject;
    try {
      return await this.#inner.create({ ...command, object });
    } catch (error) {
      if (grant.fresh) await this.#grantor.release(request.service);
      throw error;
    }
  }

  async update(command: UpdateCommand | UpdateStatusCommand): Promise<KubeObject> {
    if (command.op !== 'update' || !isServices(command)) return this.#inner.update(command);
    const service = command.object as unknown as Service;
    const request = requestOf(service);
    if (request === undefined) return this.#inner.update(command);
    const grant = await this.#grantor.grant(request);
    if (grant instanceof StatusError) throw grant;
    return this.#inner.update({ ...command, object: withGrant(service, grant) as unknown as KubeObject });
  }

  async delete(command: DeleteCommand): Promise<{ object: KubeObject; removed: boolean }> {
    const result = await this.#inner.delete(command);
    if (isServices(command) && result.removed)
      await this.#grantor.release(`${command.namespace}/${command.name}`);
    return result;
  }
}
