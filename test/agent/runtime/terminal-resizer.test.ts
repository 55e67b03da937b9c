import { describe, expect, it } from 'vitest';
import { type TerminalSize, terminalResizer } from '../../../agent/src/runtime/exec-stream.ts';

describe('terminal resizer', () => {
  it('applies one size at a time and skips sizes overtaken while one was applied', async () => {
    const applied: TerminalSize[] = [];
    let release: () => void = () => undefined;
    const resize = terminalResizer(async (size) => {
      applied.push(size);
      if (applied.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = resize({ width: 80, height: 24 });
    void resize({ width: 90, height: 30 });
    const last = resize({ width: 100, height: 40 });
    expect(applied).toEqual([{ width: 80, height: 24 }]);
    release();
    await Promise.all([first, last]);
    // 90x30 was overtaken before its turn: the terminal ends at the latest size, never a stale one.
    expect(applied).toEqual([
      { width: 80, height: 24 },
      { width: 100, height: 40 },
    ]);
    await resize({ width: 120, height: 50 });
    expect(applied.at(-1)).toEqual({ width: 120, height: 50 });
  });

  it('reports a failed resize and still applies the next one', async () => {
    const applied: TerminalSize[] = [];
    const resize = terminalResizer(async (size) => {
      if (size.width === 1) throw new Error('stty failed');
      applied.push(size);
    });
    await expect(resize({ width: 1, height: 1 })).rejects.toThrow('stty failed');
    await resize({ width: 80, height: 24 });
    expect(applied).toEqual([{ width: 80, height: 24 }]);
  });
});
