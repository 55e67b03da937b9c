// Directory fsync: a created, renamed or deleted file is durable only once its directory is synced.

import { open } from 'node:fs/promises';

export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
