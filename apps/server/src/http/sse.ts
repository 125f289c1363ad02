import type { ServerResponse } from 'node:http';
import { startEventStream } from '@paddock/http';

/** How often an idle event stream sends a comment, so proxies and clients keep it open. */
export const HEARTBEAT_MS = 15_000;

export type SseStream = {
  send(event: { id?: string; event?: string; data: unknown }): void;
  /** Resolves when the client goes away or `signal` aborts. */
  closed: Promise<void>;
  end(): void;
};

/**
 * Starts a `text/event-stream` response (`@paddock/http`'s `startEventStream`) with a heartbeat
 * comment every `HEARTBEAT_MS`; each event's `data` goes out as JSON.
 */
export function startSse(res: ServerResponse, requestId: string, signal: AbortSignal): SseStream {
  const stream = startEventStream(res, {
    headers: { 'cache-control': 'no-store', 'x-request-id': requestId },
    heartbeatMs: HEARTBEAT_MS,
    signal,
  });
  stream.comment('stream open');
  return {
    send({ id, event, data }) {
      stream.send({
        ...(id === undefined ? {} : { id }),
        ...(event === undefined ? {} : { event }),
        data: JSON.stringify(data),
      });
    },
    closed: stream.closed,
    end: stream.end,
  };
}
