import { describe, expect, it } from 'vitest';
import { isStatusError } from '../../../../agent/src/api/errors.ts';
import {
  CHANNEL,
  chooseProtocol,
  decodeClientFrame,
  encodeFrame,
  exitStatus,
  failureStatus,
  parseExecQuery,
  parseTerminalSize,
} from '../../../../agent/src/apiserver/streaming/channel-protocol.ts';

describe('channel protocol', () => {
  it('prefers v5, accepts v4, and refuses what it does not speak', () => {
    expect(chooseProtocol('v4.channel.k8s.io, v5.channel.k8s.io')).toBe('v5.channel.k8s.io');
    expect(chooseProtocol(new Set(['v4.channel.k8s.io']))).toBe('v4.channel.k8s.io');
    expect(chooseProtocol('channel.k8s.io,base64.channel.k8s.io')).toBeUndefined();
    expect(chooseProtocol(undefined)).toBeUndefined();
  });

  it('puts the channel byte in front of the payload', () => {
    expect([...encodeFrame(CHANNEL.stdout, 'hi')]).toEqual([1, 0x68, 0x69]);
    expect([...encodeFrame(CHANNEL.stderr, new Uint8Array([0, 255]))]).toEqual([2, 0, 255]);
    expect([...encodeFrame(CHANNEL.status)]).toEqual([3]);
  });

  it('reads stdin, resize and the v5 close of stdin', () => {
    const stdin = decodeClientFrame(Buffer.from([0, 0x61, 0x62]), 'v5.channel.k8s.io');
    expect(stdin.kind === 'stdin' && stdin.data.toString()).toBe('ab');
    expect(
      decodeClientFrame(Buffer.from([4, ...Buffer.from('{"Width":80,"Height":24}')]), 'v5.channel.k8s.io'),
    ).toEqual({ kind: 'resize', width: 80, height: 24 });
    expect(decodeClientFrame(Buffer.from([255, 0]), 'v5.channel.k8s.io')).toEqual({
      kind: 'close',
      channel: 0,
    });
  });

  it('takes a resize of whole sizes, and ignores 0x0 (a client that does not know its size)', () => {
    expect(parseTerminalSize('{"Width":132,"Height":50}')).toEqual({ width: 132, height: 50 });
    expect(parseTerminalSize('{"Width":0,"Height":0}')).toMatch(/0x0/);
    expect(parseTerminalSize('{"Width":80.5,"Height":24}')).toMatch(/whole Width and Height/);
    expect(parseTerminalSize('{"Width":-1,"Height":24}')).toMatch(/whole Width and Height/);
    expect(parseTerminalSize('null')).toMatch(/whole Width and Height/);
    expect(parseTerminalSize('{"Width":')).toMatch(/not JSON/);
    expect(
      decodeClientFrame(Buffer.from([4, ...Buffer.from('{"Width":0,"Height":0}')]), 'v4.channel.k8s.io').kind,
    ).toBe('ignored');
  });

  it('ignores what a client may not send, saying why', () => {
    expect(decodeClientFrame(Buffer.from([255, 0]), 'v4.channel.k8s.io').kind).toBe('ignored');
    expect(decodeClientFrame(Buffer.from([1, 0x61]), 'v5.channel.k8s.io')).toEqual({
      kind: 'ignored',
      reason: 'channel 1 is not one a client writes',
    });
    expect(decodeClientFrame(Buffer.alloc(0), 'v5.channel.k8s.io').kind).toBe('ignored');
    expect(decodeClientFrame(Buffer.from([4, 0x7b]), 'v5.channel.k8s.io').kind).toBe('ignored');
    expect(decodeClientFrame(Buffer.from([255, 0, 1]), 'v5.channel.k8s.io').kind).toBe('ignored');
  });

  it('reports exit 0 as Success and any other code as NonZeroExitCode with an ExitCode cause', () => {
    expect(exitStatus(0, ['true'])).toEqual({ metadata: {}, status: 'Success' });
    expect(exitStatus(3, ['sh', '-c', 'exit 3'])).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(failureStatus('podman is gone')).toMatchObject({ status: 'Failure', message: 'podman is gone' });
  });
});

describe('exec query', () => {
  const q = (s: string) => parseExecQuery(new URLSearchParams(s));

  it('reads the command words in order and the stream flags', () => {
    expect(
      q('command=sh&command=-c&command=echo%20hi&container=web&stdin=true&stdout=true&stderr=true'),
    ).toEqual({
      command: ['sh', '-c', 'echo hi'],
      container: 'web',
      stdin: true,
      stdout: true,
      stderr: true,
      tty: false,
    });
  });

  it('refuses no command, no stream at all, and stderr with a terminal', () => {
    const none = q('stdout=true');
    expect(isStatusError(none) && none.status.message).toMatch(/at least 1 command/);
    const silent = q('command=ls');
    expect(isStatusError(silent) && silent.status.message).toMatch(/at least one of stdin, stdout, stderr/);
    const tty = q('command=sh&tty=true&stdout=true&stderr=true');
    expect(isStatusError(tty) && tty.status.code).toBe(400);
  });
});
