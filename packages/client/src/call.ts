import type { AnyRoute, Payload } from '@paddock/api';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { ResolvedOptions } from './client-options.ts';
import { resumableEventStream } from './event-stream.ts';
import { readNdjson } from './ndjson.ts';
import { OPERATION_ROUTES, type OperationId, type Operations } from './operations.ts';
import { parseJson, validateResponse } from './response-validation.ts';
import {
  type Exchange,
  type RequestInput,
  type RequestOptions,
  readBody,
  send,
} from './transport.ts';

type Part<K extends string, T> = [T] extends [undefined]
  ? { [P in K]?: undefined }
  : Record<never, never> extends T
    ? { [P in K]?: T }
    : { [P in K]: T };

/** What `call(operationId, …)` takes: `params`, `query` and `body` as the route declares them. */
export type CallOptions<Id extends OperationId> = Part<'params', Operations[Id]['params']> &
  Part<'query', Operations[Id]['query']> &
  Part<'body', Operations[Id]['body']> &
  RequestOptions;

/** The options argument, optional when nothing in it is required. */
export type CallArgs<Id extends OperationId> =
  Record<never, never> extends CallOptions<Id>
    ? [options?: CallOptions<Id>]
    : [options: CallOptions<Id>];

/** The typed core every convenience method goes through. */
export type Caller = {
  /** Sends one operation and returns its default representation, validated. */
  call<Id extends OperationId>(id: Id, ...args: CallArgs<Id>): Promise<Operations[Id]['result']>;
  /**
   * Sends one operation and returns its streaming representation (NDJSON, or SSE resumed with
   * `Last-Event-ID`) as an AsyncIterable of validated items. Set `watch`/`follow` in the query.
   */
  stream<Id extends OperationId>(
    id: Id,
    ...args: CallArgs<Id>
  ): AsyncIterable<Operations[Id]['item']>;
};

export function routeFor(id: string): AnyRoute {
  const route = OPERATION_ROUTES.get(id);
  if (!route) throw new PaddockError(ErrorCode.NotFound, `unknown operation "${id}"`);
  return route;
}

export function createCaller(options: ResolvedOptions): Caller {
  return {
    async call(id, ...args) {
      const route = routeFor(id);
      const input: RequestInput = args[0] ?? {};
      const exchange = await send(options, route, input);
      return (await decode(exchange, route, options)) as never;
    },
    stream(id, ...args) {
      const route = routeFor(id);
      const input: RequestInput = args[0] ?? {};
      return openStream(options, route, input, isFollow(input) ? 'on-error' : 'always');
    },
  };
}

function isFollow(input: RequestInput): boolean {
  const query = input.query;
  if (typeof query !== 'object' || query === null || !('follow' in query)) return false;
  return query.follow === true || query.follow === 'true' || query.follow === '1';
}

/** The payload the route declares for the status the server answered (first one by default). */
function payloadOf(route: AnyRoute, status: number): Payload | undefined {
  const response = route.responses.find((r) => r.status === status) ?? route.responses[0];
  return response?.content[0];
}

async function decode(exchange: Exchange, route: AnyRoute, options: ResolvedOptions) {
  const { response } = exchange;
  const payload = payloadOf(route, response.status);
  const id = route.operationId;
  if (!payload || response.status === 204) {
    await readBody(exchange, options.baseUrl, (r) => r.arrayBuffer());
    return undefined;
  }
  switch (payload.type) {
    case 'json': {
      const text = await readBody(exchange, options.baseUrl, (r) => r.text());
      return validateResponse(payload.schema, parseJson(text, id), id);
    }
    case 'text':
      return readBody(exchange, options.baseUrl, (r) => r.text());
    case 'binary':
      return new Uint8Array(await readBody(exchange, options.baseUrl, (r) => r.arrayBuffer()));
    case 'ndjson':
      exchange.deadline.settle();
      return readNdjson(bodyOf(exchange, id), payload.schema, id);
    case 'sse':
      exchange.deadline.settle();
      return resumableEventStream(async () => exchange, payload.schema, {
        operationId: id,
        resume: 'on-error',
        reconnect: { ...options.reconnect, maxAttempts: 0 },
        signal: undefined,
      });
  }
}

function bodyOf(exchange: Exchange, operationId: string): ReadableStream<Uint8Array> {
  const { body } = exchange.response;
  if (!body) throw new PaddockError(ErrorCode.Internal, `${operationId}: response has no body`);
  return body;
}

/** The streaming representation a route declares (NDJSON or SSE), if any. */
function streamPayload(route: AnyRoute): Payload | undefined {
  for (const response of route.responses) {
    const found = response.content.find((c) => c.type === 'sse' || c.type === 'ndjson');
    if (found) return found;
  }
  return undefined;
}

async function* openStream(
  options: ResolvedOptions,
  route: AnyRoute,
  input: RequestInput,
  resume: 'always' | 'on-error',
): AsyncGenerator<never> {
  const payload = streamPayload(route);
  const id = route.operationId;
  if (payload?.type === 'ndjson') {
    let exchange: Exchange;
    try {
      exchange = await send(options, route, input);
    } catch (error) {
      if (input.signal?.aborted) return;
      throw error;
    }
    exchange.deadline.settle();
    try {
      yield* readNdjson(bodyOf(exchange, id), payload.schema, id) as AsyncGenerator<never>;
    } catch (error) {
      if (input.signal?.aborted) return;
      throw error instanceof PaddockError
        ? error
        : new PaddockError(
            ErrorCode.RuntimeUnavailable,
            `${id}: connection lost`,
            {},
            { cause: error },
          );
    }
    return;
  }
  if (payload?.type !== 'sse') {
    throw new PaddockError(ErrorCode.ValidationFailed, `${id} has no streaming form`);
  }
  const open = (lastEventId: string | undefined) => {
    const headers = { ...input.headers, accept: 'text/event-stream' };
    if (lastEventId) Object.assign(headers, { 'last-event-id': lastEventId });
    return send(options, route, { ...input, headers });
  };
  yield* resumableEventStream(open, payload.schema, {
    operationId: id,
    resume,
    reconnect: options.reconnect,
    signal: input.signal,
  }) as AsyncGenerator<never>;
}
