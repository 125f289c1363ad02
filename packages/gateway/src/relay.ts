import type { ServerResponse } from 'node:http';
import { ErrorCode, isPaddockError, type PaddockError } from '@paddock/core';
import { writeWithBackpressure } from '@paddock/http';
import { readText, returnedResponseHeaders, sendAnswer } from './http-io.ts';
import { errorBody, type Provider, refusalOf, upstreamError } from './provider-errors.ts';
import { type SseEvent, SseParser } from './sse-parser.ts';
import type { UpstreamResponse } from './upstream-request.ts';
import type { UsageMeter } from './usage-meter.ts';

/** The status recorded for a call whose caller went away before the answer ended (nginx's). */
export const CLIENT_CLOSED_STATUS = 499;

/** The header carrying a non-streaming call's cost in USD. */
export const COST_HEADER = 'x-paddock-cost-usd';

/** How a relayed call ended, for the ledger. */
export type RelayOutcome = {
  status: number;
  isStream: boolean;
  error?: { code: string; message: string };
};

/**
 * Passes an upstream answer back to the caller. An event stream is relayed chunk by chunk as it
 * arrives (with backpressure) while `meter` reads its events on the side; with
 * `dropUsageOnlyChunk` the final OpenAI chunk the gateway asked for (no choices, only usage) is
 * withheld. Any other answer is small and read whole, so its `cost` can go in a header. An
 * upstream silent past the idle timeout is answered in `provider`'s error shape: 504 before the
 * answer began, an `error` event ending the stream after.
 */
export async function relayResponse(input: {
  provider: Provider;
  response: UpstreamResponse;
  res: ServerResponse;
  meter: UsageMeter;
  dropUsageOnlyChunk: boolean;
  /** The call's cost once its answer was read (`meter` has it). */
  cost: () => number;
}): Promise<RelayOutcome> {
  const { response, res, meter } = input;
  const headers = returnedResponseHeaders(response.headers);
  const isEventStream = (response.headers['content-type'] ?? '').includes('text/event-stream');
  const isOk = response.status >= 200 && response.status < 300;
  if (!isEventStream || !isOk) {
    let text: string;
    try {
      text = response.redact(await readText(response.chunks));
    } catch (error) {
      if (!isTimeout(error)) throw error;
      const refusal = refusalOf(error);
      const body = errorBody(input.provider, refusal);
      sendAnswer(res, {
        status: refusal.status,
        headers: { 'content-type': 'application/json' },
        body,
      });
      return { status: refusal.status, isStream: false, error: timeoutError(error) };
    }
    if (!isOk) {
      sendAnswer(res, { status: response.status, headers, body: text });
      return {
        status: response.status,
        isStream: false,
        error: upstreamError(response.status, text),
      };
    }
    meter.readBody(parseJson(text));
    headers[COST_HEADER] = input.cost().toFixed(6);
    sendAnswer(res, { status: response.status, headers, body: text });
    return { status: response.status, isStream: false };
  }

  res.writeHead(response.status, headers);
  res.flushHeaders();
  const parser = new SseParser();
  try {
    for await (const chunk of response.chunks) {
      const { events, leftover } = parser.push(chunk);
      for (const event of events) meter.readEvent(event);
      const out = input.dropUsageOnlyChunk ? keptText(events, leftover) : chunk;
      if (out.length > 0 && !(await writeWithBackpressure(res, out))) {
        response.body.destroy();
        return closedByClient();
      }
    }
  } catch (error) {
    if (res.destroyed) return closedByClient();
    if (isTimeout(error)) {
      // The SDKs raise an `error` event as the provider's error (Anthropic's own stream errors).
      const event = `event: error\ndata: ${errorBody(input.provider, refusalOf(error))}\n\n`;
      // Half an event already relayed is ended first, so the error event reads on its own.
      const isHalfRelayed = parser.end() !== '' && !input.dropUsageOnlyChunk;
      res.end(isHalfRelayed ? `\n\n${event}` : event);
      return { status: response.status, isStream: true, error: timeoutError(error) };
    }
    res.destroy();
    return {
      status: response.status,
      isStream: true,
      error: { code: 'upstream_stream_error', message: messageOf(error) },
    };
  }
  const rest = parser.end();
  if (input.dropUsageOnlyChunk && rest !== '') await writeWithBackpressure(res, rest);
  res.end();
  const streamError = meter.streamError;
  return streamError === undefined
    ? { status: response.status, isStream: true }
    : { status: response.status, isStream: true, error: streamError };
}

function isTimeout(error: unknown): error is PaddockError {
  return isPaddockError(error) && error.code === ErrorCode.Timeout;
}

function timeoutError(error: PaddockError): { code: string; message: string } {
  return { code: 'upstream_timeout', message: error.message };
}

function closedByClient(): RelayOutcome {
  return {
    status: CLIENT_CLOSED_STATUS,
    isStream: true,
    error: { code: 'client_closed_request', message: 'the caller went away mid-stream' },
  };
}

function keptText(events: SseEvent[], leftover: string): string {
  let text = '';
  for (const event of events) if (!isUsageOnlyChunk(event)) text += event.raw;
  return text + leftover;
}

/** The final chunk `stream_options.include_usage` adds: no choices, a usage object. */
function isUsageOnlyChunk(event: SseEvent): boolean {
  const data = parseJson(event.data);
  return (
    typeof data === 'object' &&
    data !== null &&
    'choices' in data &&
    Array.isArray(data.choices) &&
    data.choices.length === 0 &&
    'usage' in data &&
    data.usage !== null
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
