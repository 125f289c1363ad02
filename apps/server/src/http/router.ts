import type { IncomingMessage } from 'node:http';
import type { AnyRoute, BinaryPayload, JsonPayload, Route } from '@paddock/api';
import { ErrorCode, PaddockError, parseInput } from '@paddock/core';
import type { z } from 'zod';
import type { HandlerCall } from '../server-deps.ts';
import { parseJsonBody, readBody } from './body.ts';
import type { Reply } from './respond.ts';

/** The validated inputs of a route, typed from its schemas. */
export type RouteInput<R> =
  R extends Route<infer P, infer Q, infer B>
    ? {
        params: z.output<P>;
        query: Q extends z.ZodObject ? z.output<Q> : Record<string, never>;
        body: B extends JsonPayload<infer S>
          ? z.output<S>
          : B extends BinaryPayload
            ? Buffer
            : undefined;
      }
    : never;

type ParsedInput = { params: unknown; query: unknown; body: unknown };

/** A route and what serves it; `action` names its audit record (reads without one are not audited). */
export type RouteHandler = {
  route: AnyRoute;
  action: string | undefined;
  handle(call: HandlerCall, input: ParsedInput): Promise<Reply>;
};

/** Binds a handler to a route of the `@paddock/api` table. */
export function on<R extends AnyRoute>(
  route: R,
  handle: (call: HandlerCall, input: RouteInput<R>) => Promise<Reply>,
  options: { action?: string } = {},
): RouteHandler {
  return {
    route,
    action: options.action,
    // The pipeline parsed `input` with exactly this route's schemas (see `parseRouteInput`).
    handle: (call, input) => handle(call, input as RouteInput<R>),
  };
}

/** Binary bodies (files, archives) may be larger than JSON ones. */
export const BINARY_BODY_FACTOR = 64;

/**
 * Validates path parameters, the query string and the body against the route's schemas, naming
 * every bad field (`validation_failed`). Unknown query parameters are refused (strict schemas).
 */
export async function parseRouteInput(
  route: AnyRoute,
  params: Record<string, string>,
  url: URL,
  req: IncomingMessage,
  maxBodyBytes: number,
): Promise<ParsedInput> {
  const parsedParams = parseInput(route.params, params, 'path parameters', 'path');
  const rawQuery = Object.fromEntries(url.searchParams);
  let query: unknown = {};
  if (route.query) query = parseInput(route.query, rawQuery, 'query', 'query');
  else if (url.searchParams.size > 0) {
    const issues = [...url.searchParams.keys()].map((key) => ({
      path: `query.${key}`,
      message: 'unknown query parameter',
    }));
    throw new PaddockError(ErrorCode.ValidationFailed, 'this route takes no query parameters', {
      issues,
    });
  }
  let body: unknown;
  if (route.body?.type === 'json') {
    body = parseInput(route.body.schema, parseJsonBody(await readBody(req, maxBodyBytes)), 'body');
  } else if (route.body?.type === 'binary') {
    body = await readBody(req, maxBodyBytes * BINARY_BODY_FACTOR);
  } else {
    req.resume();
  }
  return { params: parsedParams, query, body };
}
