import type { ServerResponse } from 'node:http';
import { type ResponseStream, type StreamOptions, startStream } from './stream-response.ts';

/** An open `application/x-ndjson` response: one JSON value a line. */
export type NdjsonStream = Omit<ResponseStream, 'write'> & {
  /** Writes `value` as one line unless the stream is over; false when it was not written. */
  line(value: unknown): boolean;
};

/**
 * Starts an `application/x-ndjson` response. With `heartbeatMs`, an empty line (which NDJSON
 * readers skip) goes out at that interval, so a quiet stream is not cut by a proxy.
 */
export function startNdjsonStream(res: ServerResponse, options: StreamOptions = {}): NdjsonStream {
  const format = { contentType: 'application/x-ndjson', heartbeat: '\n' };
  const { write, ...stream } = startStream(res, format, options);
  return { ...stream, line: (value) => write(`${JSON.stringify(value)}\n`) };
}
