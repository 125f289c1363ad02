import type { ServerResponse } from 'node:http';
import { type StreamOptions, startStream } from './stream-response.ts';

/** An open `application/x-ndjson` response: one JSON value a line. */
export type NdjsonStream = {
  /** Writes `value` as one line unless the stream is over; false when it was not written. */
  line(value: unknown): boolean;
  /** Resolves when the client goes away, `signal` aborts or `end()` is called. */
  closed: Promise<void>;
  isOpen(): boolean;
  end(): void;
};

/**
 * Starts an `application/x-ndjson` response. With `heartbeatMs`, an empty line (which NDJSON
 * readers skip) goes out at that interval, so a quiet stream is not cut by a proxy.
 */
export function startNdjsonStream(res: ServerResponse, options: StreamOptions = {}): NdjsonStream {
  const stream = startStream(
    res,
    { contentType: 'application/x-ndjson', heartbeat: '\n' },
    options,
  );
  return {
    line: (value) => stream.write(`${JSON.stringify(value)}\n`),
    closed: stream.closed,
    isOpen: stream.isOpen,
    end: stream.end,
  };
}
