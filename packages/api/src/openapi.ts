import { API_VERSION, ErrorCode } from '@paddock/core';
import { ErrorEnvelope } from './error-envelope.ts';
import { httpStatusFor } from './http-status.ts';
import type { AnyRoute, Payload } from './route.ts';
import { ROUTES } from './routes.ts';
import { SchemaComponents } from './schema-components.ts';

type JsonObject = Record<string, unknown>;
type Io = 'input' | 'output';

export type OpenApiOptions = {
  /** Base URL for `servers` (e.g. `http://127.0.0.1:7070`); omitted = same origin. */
  serverUrl?: string;
};

/** Names of the shared error responses in `components.responses`, by status. */
const ERROR_RESPONSE_NAMES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'PayloadTooLarge',
  429: 'RateLimited',
  500: 'Internal',
  503: 'Unavailable',
  504: 'Timeout',
  507: 'InsufficientStorage',
};

const ERROR_NOTES: Readonly<Record<number, string>> = {
  400: ' `details.issues` names each invalid field ({path, message}).',
  403: ' For policy_violation, `details.violations` lists every violation ({code, field, message}).',
  409: ' For conflict, `details.currentResourceVersion` is the version the store holds.',
  410: ' The watch resourceVersion is older than the store keeps: list again, watch from its version.',
  507: ' The data disk is full: deletes, stops and exec still work; free space and retry.',
};

/** Codes answered with each status, from the one table. */
function codesByStatus(): Map<number, ErrorCode[]> {
  const map = new Map<number, ErrorCode[]>();
  for (const code of Object.values(ErrorCode)) {
    const status = httpStatusFor(code);
    map.set(status, [...(map.get(status) ?? []), code]);
  }
  return map;
}

/** The error statuses an operation can answer, on top of the envelope they all share. */
export function errorStatusesFor(route: AnyRoute): number[] {
  const statuses = new Set([400, 429, 500]);
  if (route.auth === 'required') {
    statuses.add(401);
    statuses.add(403);
  }
  // A signed link (`?token=`) is refused with 403 when altered, expired or its signer's gone.
  if (route.query?.shape && 'token' in route.query.shape) statuses.add(403);
  if (/\{(name|id)\}/.test(route.path) || route.path.includes('{namespace}')) statuses.add(404);
  if (route.method !== 'GET' && route.auth === 'required') statuses.add(409);
  if (route.query?.shape && 'watch' in route.query.shape) statuses.add(410);
  if (route.body) statuses.add(413);
  if (route.method !== 'GET' && route.method !== 'DELETE') statuses.add(507);
  const isRuntimeBacked =
    route.path.includes('/sandboxes/{name}/') || route.path.startsWith('/api/v1/cluster/');
  if (isRuntimeBacked || route.operationId === 'getReadiness') {
    statuses.add(503);
    statuses.add(504);
  }
  return [...statuses].sort((a, b) => a - b);
}

/**
 * The OpenAPI 3.1 document of the REST API, generated from the route table and the zod schemas:
 * one operation per route, every kind and shared schema in `components.schemas`, the error
 * envelope on every operation, bearer auth (API key or OIDC JWT) unless a route says `none`.
 */
export function buildOpenApiDocument(options: OpenApiOptions = {}): JsonObject {
  const schemas = new SchemaComponents();
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of ROUTES) {
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: operation(route, schemas),
    };
  }
  const envelope = schemas.convert(ErrorEnvelope, 'output');
  const responses: Record<string, JsonObject> = {};
  for (const [status, codes] of codesByStatus()) {
    const name = ERROR_RESPONSE_NAMES[status];
    if (name === undefined) throw new Error(`OpenAPI: no response name for HTTP ${status}`);
    responses[name] = {
      description: `Error envelope; code ${codes.join(' | ')}.${ERROR_NOTES[status] ?? ''}`,
      content: { 'application/json': { schema: envelope } },
    };
  }
  const tags = [...new Set(ROUTES.flatMap((r) => r.tags))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Paddock API',
      version: API_VERSION,
      description:
        'Run AI agents in isolated sandboxes. Errors are always {error: {code, message, details, requestId}}.',
    },
    ...(options.serverUrl === undefined ? {} : { servers: [{ url: options.serverUrl }] }),
    tags,
    security: [{ apiKey: [] }, { oidc: [] }],
    paths,
    components: {
      schemas: schemas.components,
      responses,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A Paddock API key (shown once at creation) as a bearer token',
        },
        oidc: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An OIDC ID or access token from the configured issuer',
        },
      },
    },
  };
}

function operation(route: AnyRoute, schemas: SchemaComponents): JsonObject {
  const op: JsonObject = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [...route.tags],
  };
  if (route.description !== undefined) op.description = route.description;
  op.parameters = [
    ...parameters(route.params, 'path', schemas),
    ...(route.query ? parameters(route.query, 'query', schemas) : []),
  ];
  if (route.body) {
    op.requestBody = { required: true, content: mediaTypes([route.body], 'input', schemas) };
  }
  const responses: Record<string, JsonObject> = {};
  for (const response of route.responses) {
    responses[String(response.status)] = {
      description: response.description,
      ...(response.content.length === 0
        ? {}
        : { content: mediaTypes(response.content, 'output', schemas) }),
    };
  }
  for (const status of errorStatusesFor(route)) {
    responses[String(status)] = { $ref: `#/components/responses/${ERROR_RESPONSE_NAMES[status]}` };
  }
  op.responses = responses;
  if (route.auth === 'none') op.security = [];
  return op;
}

function parameters(
  object: NonNullable<AnyRoute['query']>,
  where: 'path' | 'query',
  schemas: SchemaComponents,
): JsonObject[] {
  const json = schemas.convert(object, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema,
  }));
}

function mediaTypes(payloads: readonly Payload[], io: Io, schemas: SchemaComponents): JsonObject {
  const content: JsonObject = {};
  for (const payload of payloads) {
    switch (payload.type) {
      case 'json':
        content[payload.contentType ?? 'application/json'] = {
          schema: schemas.convert(payload.schema, io),
        };
        break;
      case 'binary':
        content[payload.contentType] = {};
        break;
      case 'text':
        content[payload.contentType] = { schema: { type: 'string' } };
        break;
      case 'ndjson':
        content['application/x-ndjson'] = {
          schema: schemas.convert(payload.schema, io),
          'x-paddock-stream': 'one JSON value per line, each validated by schema',
        };
        break;
      case 'sse':
        content['text/event-stream'] = {
          schema: schemas.convert(payload.schema, io),
          'x-paddock-stream': "each event's data is one JSON value validated by schema",
        };
        break;
      default: {
        const unhandled: never = payload;
        throw new Error(`OpenAPI: unknown payload ${JSON.stringify(unhandled)}`);
      }
    }
  }
  return content;
}
