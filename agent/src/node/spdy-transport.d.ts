/** The part of spdy-transport (plain JS, no types published) that spdy-exec-client.ts uses. */
declare module 'spdy-transport' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';

  export interface SpdyStream extends Duplex {
    readonly id: number;
    readonly headers: Record<string, string>;
    respond(status: number, headers: Record<string, string>, callback?: (error?: Error) => void): void;
    abort(code?: string, callback?: () => void): void;
  }

  export interface SpdyConnection extends EventEmitter {
    start(version: number): void;
    end(callback?: () => void): void;
    on(event: 'stream', listener: (stream: SpdyStream) => void): this;
    on(event: 'error' | 'close', listener: (error?: Error) => void): this;
  }

  export interface SpdyParserPrototype {
    parseKVs(
      buffer: unknown,
      callback: (error: Error | null, headers?: Record<string, string>) => void,
    ): void;
  }

  const transport: {
    connection: {
      create(
        socket: Duplex,
        options: { protocol: 'spdy'; isServer: boolean; windowSize?: number },
      ): SpdyConnection;
    };
    protocol: { spdy: { parser: { create(options: { isServer: boolean; window: null }): object } } };
  };
  export default transport;
}
