export { BinaryReader, BinaryWriter } from './binary.ts';
export { crc32c } from './crc32c.ts';
export {
  readConfState,
  readEntry,
  readHardState,
  readSnapshot,
  writeConfState,
  writeEntry,
  writeHardState,
  writeSnapshot,
} from './records.ts';
