export { type OpenedWal, openWal, type WalOptions } from './open.ts';
export { type SnapshotFile, SnapshotStore } from './snapshot-store.ts';
export { Wal, type WalStats } from './wal.ts';
