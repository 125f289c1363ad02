import type { z } from 'zod';

export const HttpMethod = {
  Get: 'GET',
  Post: 'POST',
  Put: 'PUT',
  Patch: 'PATCH',
  Delete: 'DELETE',
} as const;
export type HttpMethod = (typeof HttpMethod)[keyof typeof HttpMethod];

/** A JSON body validated by `schema` (`contentType` defaults to `application/json`). */
export type JsonPayload<S extends z.ZodType = z.ZodType> = {
  type: 'json';
  schema: S;
  contentType?: string;
};
/** Raw bytes (a file, a tar archive), passed through unparsed. */
export type BinaryPayload = { type: 'binary'; contentType: string };
/** Plain text (logs, Prometheus metrics). */
export type TextPayload = { type: 'text'; contentType: string };
/** `application/x-ndjson`: one JSON value (validated by `schema`) per line, flushed as produced. */
export type NdjsonPayload<S extends z.ZodType = z.ZodType> = { type: 'ndjson'; schema: S };
/** `text/event-stream`: each event's `data` is one JSON value validated by `schema`. */
export type SsePayload<S extends z.ZodType = z.ZodType> = { type: 'sse'; schema: S };

export type Payload = JsonPayload | BinaryPayload | TextPayload | NdjsonPayload | SsePayload;

export type SuccessStatus = 200 | 201 | 202 | 204;

/**
 * A success response. `content` lists the representations, first = default; a second entry is
 * chosen by the query (`watch=true`, `follow=true`) or by `Accept`.
 */
export type RouteResponse = {
  status: SuccessStatus;
  description: string;
  content: readonly Payload[];
};

/**
 * One operation of the REST API. `path` is an OpenAPI template (`/api/v1/namespaces/{namespace}/
 * sandboxes/{name}/exec`); `params` validates its `{…}` segments, `query` the query string (values
 * arrive as strings and are coerced), `body` the request body. Error responses are not listed:
 * every operation answers errors with the envelope, status from `httpStatusFor`.
 */
export type Route<
  P extends z.ZodObject = z.ZodObject,
  Q extends z.ZodObject | undefined = z.ZodObject | undefined,
  B extends Payload | undefined = Payload | undefined,
  R extends readonly RouteResponse[] = readonly RouteResponse[],
> = {
  operationId: string;
  method: HttpMethod;
  path: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  /** `none` for probes, metrics and the OpenAPI document; every other route needs a bearer token. */
  auth: 'required' | 'none';
  params: P;
  query?: Q;
  body?: B;
  responses: R;
};

export type AnyRoute = Route;

/** Keeps the literal types of a route (schemas, statuses) for the typed client. */
export function defineRoute<
  const P extends z.ZodObject,
  const Q extends z.ZodObject | undefined,
  const B extends Payload | undefined,
  const R extends readonly RouteResponse[],
>(route: Route<P, Q, B, R>): Route<P, Q, B, R> {
  return route;
}

export function json<S extends z.ZodType>(schema: S): JsonPayload<S> {
  return { type: 'json', schema };
}
export function binary(contentType: string): BinaryPayload {
  return { type: 'binary', contentType };
}
export function text(contentType: string): TextPayload {
  return { type: 'text', contentType };
}
export function ndjson<S extends z.ZodType>(schema: S): NdjsonPayload<S> {
  return { type: 'ndjson', schema };
}
export function sse<S extends z.ZodType>(schema: S): SsePayload<S> {
  return { type: 'sse', schema };
}

/** Path parameter names in template order: `/a/{namespace}/b/{name}` → `['namespace', 'name']`. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? '');
}

/** Fills a path template; each value is percent-encoded as one segment. */
export function buildPath(path: string, params: Readonly<Record<string, string | number>>): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_whole, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`missing path parameter "${name}" for ${path}`);
    return encodeURIComponent(String(value));
  });
}

/** A path template split once: literal segments, and `{param}` segments by name. */
export type PathSegments = ReadonlyArray<string | { param: string }>;

export function pathSegments(template: string): PathSegments {
  return template.split('/').map((segment) => {
    const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment)?.[1];
    return param === undefined ? segment : { param };
  });
}

/** Matches a pathname split at `/` against a split template; undefined when it does not fit. */
export function matchSegments(
  want: PathSegments,
  got: readonly string[],
): Record<string, string> | undefined {
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const actual = got[i] ?? '';
    if (typeof segment === 'string') {
      if (segment !== actual) return undefined;
    } else {
      if (actual === '') return undefined;
      try {
        params[segment.param] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    }
  }
  return params;
}

/** Matches a concrete pathname against a template; undefined when it does not fit. */
export function matchPath(template: string, pathname: string): Record<string, string> | undefined {
  return matchSegments(pathSegments(template), pathname.split('/'));
}

/** Types of a route's inputs and default output, for the typed client and the server. */
export type RouteParams<R> = R extends Route<infer P> ? z.input<P> : never;
export type RouteQuery<R> = R extends { query?: infer Q }
  ? Q extends z.ZodType
    ? z.input<Q>
    : undefined
  : undefined;
export type RouteBody<R> = R extends { body?: infer B }
  ? B extends JsonPayload<infer S>
    ? z.input<S>
    : B extends BinaryPayload
      ? Uint8Array | ReadableStream<Uint8Array>
      : undefined
  : undefined;
/** The parsed default (first) representation of the first success response. */
export type RouteResult<R> = R extends { responses: readonly [infer First, ...unknown[]] }
  ? First extends { content: readonly [infer C, ...unknown[]] }
    ? C extends JsonPayload<infer S>
      ? z.output<S>
      : C extends NdjsonPayload<infer S> | SsePayload<infer S>
        ? AsyncIterable<z.output<S>>
        : C extends TextPayload
          ? string
          : C extends BinaryPayload
            ? Uint8Array
            : undefined
    : undefined
  : never;
