import type { ServerResponse } from 'node:http';
import { type ResponseStream, type StreamOptions, startStream } from './stream-response.ts';

/** One server-sent event; `data` is text (JSON already encoded), split into `data:` lines. */
export type SseEvent = { id?: string | number; event?: string; data: string };

/** An open `text/event-stream` response. */
export type EventStream = Omit<ResponseStream, 'write'> & {
  /** Writes one event unless the stream is over; false when it was not written. */
  send(event: SseEvent): boolean;
  /** Writes a comment line (`: text`), which clients ignore. */
  comment(text: string): boolean;
};

/** The wire text of one event, ending with its blank line. */
export function formatSseEvent(event: SseEvent): string {
  let text = '';
  if (event.id !== undefined) text += `id: ${event.id}\n`;
  if (event.event !== undefined) text += `event: ${event.event}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return `${text}\n`;
}

/**
 * Starts a `text/event-stream` response (`Cache-Control: no-cache` unless `headers` say
 * otherwise). With `heartbeatMs`, a `: heartbeat` comment goes out at that interval.
 */
export function startEventStream(res: ServerResponse, options: StreamOptions = {}): EventStream {
  const format = { contentType: 'text/event-stream; charset=utf-8', heartbeat: ': heartbeat\n\n' };
  const { write, ...stream } = startStream(res, format, options);
  return {
    ...stream,
    send: (event) => write(formatSseEvent(event)),
    comment: (text) => write(`: ${text}\n\n`),
  };
}
