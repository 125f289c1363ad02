/**
 * The rule of scoped principals (a run's token): read-only, one namespace. Every transport
 * (REST and its streams, WebSocket upgrades, previews, the E2B API) states what a request is and
 * calls `requireInScope` after authentication; unscoped principals pass untouched.
 */
import { ErrorCode, PaddockError } from '@paddock/core';
import type { Principal, PrincipalScope } from './principal.ts';

/** How a request reaches Paddock. A scoped principal may use the REST API only. */
export const RequestChannel = {
  /** A REST request (its server-sent event and watch streams included). */
  Api: 'api',
  /** An interactive session: a WebSocket terminal, an exec attach, a port forward. */
  Terminal: 'terminal',
  /** A sandbox's preview (HTTP or WebSocket to a port inside it). */
  Preview: 'preview',
  /** The E2B-compatible API. */
  E2b: 'e2b',
} as const;
export type RequestChannel = (typeof RequestChannel)[keyof typeof RequestChannel];

/** What the scope rule needs to know of a request. */
export type ScopedRequest = {
  channel: RequestChannel;
  /** The HTTP method (`GET` for a WebSocket upgrade). */
  method: string;
  /** The namespace the request names; undefined when it names none (cluster-wide, every namespace). */
  namespace: string | undefined;
  /** The REST operation (its operationId), for `api` requests. */
  operation?: string;
};

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** Reads that name no namespace and describe only the caller or the API itself. */
const NAMESPACE_FREE_READS: ReadonlySet<string> = new Set(['getCurrentUser', 'listKinds']);

/**
 * Reads that may carry credential values: a sandbox's file contents (a `file` credential is
 * mounted into sandboxes as files). Listing and stat-ing files stays allowed.
 */
const SECRET_BEARING_READS: ReadonlySet<string> = new Set([
  'readSandboxFile',
  'downloadSandboxArchive',
]);

function refusal(scope: PrincipalScope, message: string): PaddockError {
  const who = scope.run === undefined ? 'a scoped credential' : `the token of run ${scope.run}`;
  return new PaddockError(
    ErrorCode.Forbidden,
    `${who} is read-only in namespace ${scope.namespace}: ${message}`,
    { scope: { namespace: scope.namespace, access: 'read' } },
  );
}

/**
 * Throws `forbidden` (details: `scope`) when `principal` is scoped and `request` goes beyond its
 * scope: anything but the REST API (terminals, exec, port forwards, previews, E2B), any method
 * but GET and HEAD, a namespace other than the scope's, a request naming no namespace (a
 * cluster-scoped object, a list across namespaces) unless it only describes the caller, and a
 * read that may reveal a credential's value. Unscoped principals always pass.
 */
export function requireInScope(principal: Principal, request: ScopedRequest): void {
  const { scope } = principal;
  if (scope === undefined) return;
  if (request.channel !== RequestChannel.Api) {
    throw refusal(scope, `it may not open ${describeChannel(request.channel)}`);
  }
  if (!READ_METHODS.has(request.method.toUpperCase())) {
    throw refusal(scope, `${request.method} is not a read (only GET and HEAD are allowed)`);
  }
  const operation = request.operation;
  if (request.namespace === undefined) {
    if (operation !== undefined && NAMESPACE_FREE_READS.has(operation)) return;
    throw refusal(scope, 'it may not read across namespaces or cluster-scoped objects');
  }
  if (request.namespace !== scope.namespace) {
    throw refusal(scope, `namespace ${request.namespace} is out of scope`);
  }
  if (operation !== undefined && SECRET_BEARING_READS.has(operation)) {
    throw refusal(scope, 'file contents may hold credentials; list or stat files instead');
  }
}

function describeChannel(channel: RequestChannel): string {
  switch (channel) {
    case RequestChannel.Api:
      return 'the REST API';
    case RequestChannel.Terminal:
      return 'terminals, exec sessions or port forwards';
    case RequestChannel.Preview:
      return 'previews';
    case RequestChannel.E2b:
      return 'the E2B API';
    default: {
      const unknown: never = channel;
      return String(unknown);
    }
  }
}
