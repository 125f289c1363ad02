import { fromEnvelope } from '@paddock/api';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import type { z } from 'zod';
import type { ReconnectPolicy } from './client-options.ts';
import { parseJson, validateResponse } from './response-validation.ts';
import { parseSse } from './sse.ts';
import type { Exchange } from './transport.ts';

export type EventStreamOptions = {
  operationId: string;
  /** `always` (watches: a server closing the stream is a drop too) or `on-error` (logs). */
  resume: 'always' | 'on-error';
  reconnect: ReconnectPolicy;
  signal: AbortSignal | undefined;
};

/**
 * The validated `data` of a server-sent event stream that survives dropped connections: it
 * reconnects with `Last-Event-ID` after a bounded exponential backoff, and gives up after
 * `maxAttempts` consecutive failures with the last error. An `event: error` whose data is an
 * error envelope (`expired`, `forbidden`, …) ends the stream with that `PaddockError`. Aborting
 * the signal ends the iteration quietly; breaking out of the loop closes the connection.
 */
export async function* resumableEventStream<S extends z.ZodType>(
  open: (lastEventId: string | undefined) => Promise<Exchange>,
  schema: S,
  options: EventStreamOptions,
): AsyncGenerator<z.output<S>> {
  const { operationId, reconnect, signal } = options;
  let lastEventId: string | undefined;
  let failures = 0;
  let delayMs = reconnect.initialDelayMs;
  while (!signal?.aborted) {
    let exchange: Exchange;
    try {
      exchange = await open(lastEventId);
    } catch (error) {
      if (signal?.aborted) return;
      if (!isRetryable(error) || ++failures > reconnect.maxAttempts) throw error;
      await sleep(backoff(delayMs, failures, reconnect), signal);
      continue;
    }
    exchange.deadline.settle();
    failures = 0;
    const { body } = exchange.response;
    if (!body) return;
    try {
      for await (const message of parseSse(body)) {
        if (message.id !== undefined) lastEventId = message.id;
        if (message.retryMs !== undefined) delayMs = message.retryMs;
        const data = parseJson(message.data, operationId);
        if (message.event === 'error') throw fromEnvelope(data);
        yield validateResponse(schema, data, operationId);
      }
      if (options.resume === 'on-error') return;
    } catch (error) {
      if (signal?.aborted) return;
      if (error instanceof PaddockError) throw error;
      // Anything else is the connection failing mid-stream: resume from the last event.
    }
    failures++;
    if (failures > reconnect.maxAttempts) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `${operationId}: stream dropped ${failures} times in a row`,
      );
    }
    await sleep(backoff(delayMs, failures, reconnect), signal);
  }
}

function isRetryable(error: unknown): boolean {
  if (!isPaddockError(error)) return false;
  const status = error.details.status;
  return (
    error.code === ErrorCode.RuntimeUnavailable ||
    error.code === ErrorCode.Timeout ||
    status === 502 ||
    status === 503 ||
    status === 504
  );
}

function backoff(baseMs: number, failures: number, policy: ReconnectPolicy): number {
  return Math.min(policy.maxDelayMs, baseMs * 2 ** Math.max(0, failures - 1));
}

/** Waits `ms`, or less when the signal aborts (the caller then sees `signal.aborted`). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
