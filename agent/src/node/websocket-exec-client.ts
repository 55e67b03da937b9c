/**
 * An exec session's client over WebSocket (kubectl 1.30 and newer): binary messages whose first
 * byte is the channel (apiserver/streaming/channel-protocol.ts).
 *
 *   [0] stdin -> input.stdin      [255][0] (v5) -> input.stdinEnd      close -> input.gone
 *   [4] {"Width","Height"} -> input.resize
 *   send(stdout|stderr) -> [1]|[2]                  finish(status) -> [3] Status, close 1000
 */
import { type RawData, WebSocket } from 'ws';
import {
  CHANNEL,
  decodeClientFrame,
  encodeFrame,
  type StreamProtocol,
} from '../apiserver/streaming/channel-protocol.ts';
import type { ExecClient } from './exec-session.ts';

export function websocketExecClient(
  ws: WebSocket,
  protocol: StreamProtocol,
  log: (message: string) => void,
): ExecClient {
  ws.on('error', (error) => log(`exec WebSocket: ${error.message}`));
  return {
    isOpen: () => ws.readyState === WebSocket.OPEN,
    send(stream, chunk, written) {
      ws.send(encodeFrame(stream === 'stdout' ? CHANNEL.stdout : CHANNEL.stderr, chunk), (error) => {
        if (error === undefined || error === null) written();
      });
    },
    finish(status) {
      ws.send(encodeFrame(CHANNEL.status, JSON.stringify(status)));
      ws.close(1000);
    },
    listen(input) {
      ws.on('close', () => input.gone());
      ws.on('message', (data: RawData) => {
        const frame = decodeClientFrame(toBuffer(data), protocol);
        if (frame.kind === 'stdin') input.stdin(frame.data);
        else if (frame.kind === 'close' && frame.channel === CHANNEL.stdin) input.stdinEnd();
        else if (frame.kind === 'resize') input.resize({ width: frame.width, height: frame.height });
        else if (frame.kind === 'ignored') log(`exec WebSocket: ignored ${frame.reason}`);
      });
    },
    pauseInput: () => ws.pause(),
    resumeInput: () => ws.resume(),
  };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
