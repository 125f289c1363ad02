import { readLines } from './line-reader.ts';

/** One server-sent event. `id` is the last event id seen so far on this connection. */
export type SseMessage = {
  event: string;
  data: string;
  id: string | undefined;
  /** The latest `retry:` the server sent on this connection, in milliseconds. */
  retryMs: number | undefined;
};

/**
 * Parses a `text/event-stream` body as the HTML standard does: `field: value` lines, `data`
 * lines joined with `\n`, a blank line dispatches, `:` lines are comments, an `id` containing
 * NUL is ignored, events without data are not dispatched.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  let id: string | undefined;
  let retryMs: number | undefined;
  let event = '';
  let data: string[] = [];
  for await (const line of readLines(body)) {
    if (line === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id, retryMs };
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        event = value;
        break;
      case 'data':
        data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) retryMs = Number(value);
        break;
    }
  }
}
