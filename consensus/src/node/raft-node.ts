// The driver: runs the pure Raft core against a clock, a WAL, a transport and a state machine.
// One loop (scheduled with setImmediate, so a burst of proposals shares one ready and one fsync):
//   ready -> [leader: send] -> persist (snapshot, entries + hard state, one fsync) -> [others: send]
//         -> apply (snapshot restore, entries, conf changes) -> read states -> advance -> compact.

import { feedbackOf } from '../transport/feedback.ts';
import {
  type ConfState,
  ConsensusError,
  type HardState,
  type Message,
  NONE,
  type NodeId,
  type ReadState,
  type Ready,
  type Role,
  type SoftState,
} from '../types.ts';
import { openWal } from '../wal/index.ts';
import { Applier } from './applier.ts';
import { wrapProposal } from './envelope.ts';
import { silentLogger } from './logger.ts';
import { NodeEvents } from './node-events.ts';
import { PendingRequests } from './pending.ts';
import type { RaftNode, RaftNodeOptions } from './raft-node-api.ts';
import { type RestoredNode, restoreNode } from './restore.ts';

export type { RaftNode, RaftNodeOptions, RaftNodeStatus } from './raft-node-api.ts';

const incarnationSource = (): number => (Math.random() * 0x1_0000_0000) >>> 0;

/** Creates a node; call start() to open the WAL and begin ticking. */
export function createRaftNode<Result>(options: RaftNodeOptions<Result>): RaftNode<Result> {
  const self = options.id;
  const tickMs = options.tickMs ?? 100;
  const electionTick = options.electionTick ?? 5;
  const heartbeatTick = options.heartbeatTick ?? 1;
  const snapshotEntries = options.snapshotEntries ?? 10_000;
  const catchUpEntries = options.catchUpEntries ?? 5_000;
  const timeoutMs = options.requestTimeoutMs ?? 5_000;
  const logger = options.logger ?? silentLogger;
  const { transport, stateMachine } = options;
  const events = new NodeEvents();
  const incarnation = incarnationSource();

  let node: RestoredNode | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let stopped = false;
  let started = false;
  let loopRunning = false;
  let loopScheduled = false;
  let loopDone: Promise<void> = Promise.resolve();
  let fatal: Error | undefined;
  /** Whether the transport reports snapshot delivery; if not, a sent snapshot counts as delivered. */
  let hasFeedback = false;

  let role: Role = 'follower';
  let leader: NodeId = NONE;
  let term = 0;
  let commit = 0;
  let persisted: HardState = { term: 0, vote: NONE, commit: 0 };

  let nextSeq = 1;
  const proposals = new PendingRequests<number, Result>('proposal');
  const confChanges = new PendingRequests<string, ConfState>('conf change');
  const reads = new PendingRequests<string, void>('read index');
  /** Reads whose index is known, waiting for applied to reach it. */
  let readsWaitingApply: Array<{ key: string; index: number }> = [];
  const transfers = new PendingRequests<number, void>('leadership transfer');
  const applier = new Applier<Result>({
    self,
    incarnation,
    stateMachine,
    transport,
    logger,
    snapshotEntries,
    catchUpEntries,
    addresses: options.peers,
    onProposalApplied: (seq, result) => proposals.resolve(seq, result),
    onConfChangeApplied: (change, conf) => confChanges.resolve(`${change.type}:${change.nodeId}`, conf),
  });

  const must = (): RestoredNode => {
    if (fatal)
      throw new ConsensusError('Stopped', `node ${self} stopped after a fatal error: ${fatal.message}`);
    if (!node || stopped) throw new ConsensusError('Stopped', `node ${self} is not running; call start()`);
    return node;
  };

  const schedule = (): void => {
    if (loopScheduled || stopped) return;
    loopScheduled = true;
    setImmediate(() => {
      loopScheduled = false;
      if (loopRunning || stopped) return;
      loopRunning = true;
      loopDone = runReadyLoop().finally(() => {
        loopRunning = false;
        // Work that arrived while the last batch was being persisted.
        if (!stopped && node?.rawNode.hasReady()) schedule();
      });
    });
  };

  const onSoftState = (soft: SoftState): void => {
    const previousLeader = leader;
    if (soft.role !== role) {
      role = soft.role;
      events.emit('role', { role, term });
    }
    if (soft.leader !== leader) {
      leader = soft.leader;
      events.emit('leader', { leader, term });
      if (previousLeader !== NONE) {
        // Whatever was in flight through the old leader may or may not commit; say so now rather
        // than at the timeout, so that clients fail over quickly.
        const dropped = new ConsensusError(
          'ProposalDropped',
          `leader changed from ${previousLeader} to ${leader || 'none'} while the request was in flight; ` +
            'it may still take effect: retry if it is idempotent',
          leader,
        );
        proposals.rejectWhere(dropped);
        reads.rejectWhere(dropped);
        readsWaitingApply = [];
      }
      transfers.resolve(leader, undefined);
    }
  };

  const handleReadStates = (states: readonly ReadState[]): void => {
    for (const state of states) {
      const key = Buffer.from(state.requestCtx).toString('hex');
      if (reads.has(key)) readsWaitingApply.push({ key, index: state.index });
    }
    if (readsWaitingApply.length === 0) return;
    readsWaitingApply = readsWaitingApply.filter(({ key, index }) => {
      if (index > applier.applied) return true;
      reads.resolve(key, undefined);
      return false;
    });
  };

  /** May a leader send this ready's messages before its own fsync? Not if its term or vote changed. */
  const canSendEarly = (ready: Ready): boolean =>
    role === 'leader' &&
    (!ready.hardState ||
      (ready.hardState.term === persisted.term && ready.hardState.vote === persisted.vote));

  const send = (messages: readonly Message[]): void => {
    transport.send(messages);
    if (hasFeedback) return;
    for (const message of messages) {
      if (message.type === 'snap') must().rawNode.reportSnapshot(message.to, 'finish');
    }
  };

  const handleReady = async (ready: Ready): Promise<void> => {
    const { storage, log } = must();
    if (ready.softState) onSoftState(ready.softState);
    if (ready.hardState) {
      term = ready.hardState.term;
      commit = ready.hardState.commit;
    }
    // Thesis 10.2.1: a leader may write to its disk in parallel with its followers.
    const early = canSendEarly(ready);
    if (early) send(ready.messages);
    // Committed entries that are already in our WAL need not wait for this ready's fsync: apply
    // them meanwhile (the responses of the previous batch go out while the next one is written).
    const last = ready.committedEntries.at(-1);
    const applyNow = !ready.snapshot && last !== undefined && last.index <= storage.lastIndex();
    const applying = applyNow
      ? applier.applyEntries(ready.committedEntries, must().rawNode, storage).then(
          () => undefined,
          (error: unknown) => error as Error,
        )
      : undefined;
    if (ready.snapshot) {
      await log.saveSnapshot(ready.snapshot);
      storage.applySnapshot(ready.snapshot);
    }
    if (ready.entries.length > 0 || ready.hardState) {
      await log.save(ready.hardState, ready.entries, ready.mustSync);
    }
    if (ready.entries.length > 0) storage.append(ready.entries);
    if (ready.hardState) {
      storage.setHardState(ready.hardState);
      persisted = ready.hardState;
    }
    // Votes and append acknowledgements only after they are durable.
    if (!early) send(ready.messages);
    if (ready.snapshot) await applier.restoreSnapshot(ready.snapshot);
    if (applying) {
      const failed = await applying;
      if (failed) throw failed;
    } else {
      await applier.applyEntries(ready.committedEntries, must().rawNode, storage);
    }
    handleReadStates(ready.readStates);
    must().rawNode.advance(ready);
    await applier.maybeSnapshot(storage, log);
  };

  const runReadyLoop = async (): Promise<void> => {
    try {
      while (!stopped && node?.rawNode.hasReady()) await handleReady(node.rawNode.ready());
    } catch (error) {
      // A failed fsync or a corrupt entry leaves this node's state unknown: stop rather than guess.
      fatal = error as Error;
      logger.error('raft loop failed; stopping the node', { error: fatal.message });
      await shutdown(new ConsensusError('Stopped', `node ${self} stopped: ${fatal.message}`), true);
    }
  };

  /** Stops ticking, fails every waiter, lets the loop finish its batch, then closes the WAL. */
  const shutdown = async (reason: ConsensusError, fromLoop: boolean): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearInterval(ticker);
    proposals.rejectWhere(reason);
    confChanges.rejectWhere(reason);
    reads.rejectWhere(reason);
    transfers.rejectWhere(reason);
    if (!fromLoop) await loopDone;
    await transport.close();
    await node?.log.close();
    events.emit('stopped', { error: fatal });
  };

  const onMessage = (message: Message): void => {
    if (stopped || !node) return;
    try {
      node.rawNode.step(message);
    } catch (error) {
      // A message the core refuses (e.g. from a removed member) is the sender's problem, not ours.
      logger.debug('step refused a message', {
        type: message.type,
        from: message.from,
        error: (error as Error).message,
      });
      return;
    }
    schedule();
  };

  return {
    async start() {
      if (started) throw new ConsensusError('Stopped', `node ${self} was already started; create a new one`);
      started = true;
      node = await restoreNode({
        id: self,
        dataDir: options.dataDir,
        peers: options.peers,
        join: options.join ?? false,
        electionTick,
        heartbeatTick,
        logger,
        openWal: options.openLog ?? ((dir) => openWal(dir, { logger: (message) => logger.warn(message) })),
      });
      persisted = node.hardState;
      term = persisted.term;
      commit = persisted.commit;
      if (node.snapshot) await applier.restoreSnapshot(node.snapshot);
      // Reach the configured peers at once: a joining member must answer the leader before it has
      // applied the log entries that name the members.
      for (const [id, address] of options.peers) if (id !== self) transport.addPeer(id, address);
      applier.syncPeers();
      transport.onMessage(onMessage);
      transport.onPeerDown((peer) => {
        // The leader's process died (its sockets closed): do not wait a full election timeout.
        if (peer === leader && node && !stopped) {
          logger.info('lost connection to the leader; campaigning early', { leader: peer });
          node.rawNode.leaderConnectionLost(peer);
          schedule();
        }
      });
      const feedback = feedbackOf(transport);
      feedback?.onSnapshotStatus((peer, status) => {
        if (stopped || !node) return;
        node.rawNode.reportSnapshot(peer, status);
        schedule();
      });
      feedback?.onUnreachable((peer) => {
        if (stopped || !node) return;
        node.rawNode.reportUnreachable(peer);
      });
      hasFeedback = feedback !== undefined;
      ticker = setInterval(() => {
        if (stopped || !node) return;
        node.rawNode.tick();
        schedule();
      }, tickMs);
      schedule();
    },

    propose(data) {
      let raw: RestoredNode['rawNode'];
      try {
        raw = must().rawNode;
      } catch (error) {
        return Promise.reject(error);
      }
      const seq = nextSeq++;
      const promise = proposals.add(seq, timeoutMs);
      try {
        raw.propose(wrapProposal({ proposer: self, incarnation, seq }, data));
      } catch (error) {
        proposals.reject(seq, error as Error);
        return promise;
      }
      schedule();
      return promise;
    },

    proposeConfChange(change) {
      let raw: RestoredNode['rawNode'];
      try {
        raw = must().rawNode;
      } catch (error) {
        return Promise.reject(error);
      }
      const key = `${change.type}:${change.nodeId}`;
      if (confChanges.has(key)) {
        return Promise.reject(
          new ConsensusError('ConfChangePending', `${key} is already being proposed here`),
        );
      }
      const promise = confChanges.add(key, timeoutMs);
      try {
        raw.proposeConfChange(change);
      } catch (error) {
        confChanges.reject(key, error as Error);
        return promise;
      }
      schedule();
      return promise;
    },

    readIndex() {
      let raw: RestoredNode['rawNode'];
      try {
        raw = must().rawNode;
      } catch (error) {
        return Promise.reject(error);
      }
      const context = Buffer.allocUnsafe(12);
      context.writeUInt32BE(incarnation, 0);
      context.writeDoubleBE(nextSeq++, 4);
      const key = context.toString('hex');
      const promise = reads.add(key, timeoutMs);
      try {
        raw.readIndex(context);
      } catch (error) {
        reads.reject(key, error as Error);
        return promise;
      }
      schedule();
      return promise;
    },

    transferLeadership(to) {
      let raw: RestoredNode['rawNode'];
      try {
        raw = must().rawNode;
      } catch (error) {
        return Promise.reject(error);
      }
      if (leader === to) return Promise.resolve();
      const promise = transfers.add(to, Math.max(timeoutMs, 2 * electionTick * tickMs));
      try {
        raw.transferLeadership(to);
      } catch (error) {
        transfers.reject(to, error as Error);
        return promise;
      }
      schedule();
      return promise;
    },

    status() {
      return {
        id: self,
        role,
        leader,
        term,
        commit,
        applied: applier.applied,
        snapshotIndex: applier.snapshotIndex,
        confState: applier.confState,
        pendingProposals: proposals.size,
        progress: role === 'leader' && node && !stopped ? node.rawNode.status().progress : new Map(),
      };
    },

    on(event, listener) {
      return events.on(event, listener);
    },

    async stop() {
      await shutdown(
        new ConsensusError('Stopped', `node ${self} is stopping; retry on another member`),
        false,
      );
    },
  };
}
