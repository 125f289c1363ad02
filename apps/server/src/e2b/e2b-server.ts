/**
 * The E2B surface: E2B's control API and its in-sandbox API (envd), both under `/e2b` on the
 * server's origin, so the official `e2b` SDK works with `E2B_API_URL` and `E2B_SANDBOX_URL` set
 * to `http://HOST:PORT/e2b`. A request naming a sandbox in `E2b-Sandbox-Id` is envd's (authorised
 * by the sandbox's access token); any other is the control API's (authorised by an API key in
 * `X-API-KEY`, with the same roles and ownership as the REST API). Handlers call the same
 * services as the REST API; this file only authenticates, dispatches and translates errors.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpStatusFor } from '@paddock/api';
import {
  ownerOf,
  type Principal,
  PrincipalVia,
  RequestChannel,
  requireInScope,
  runningRef,
} from '@paddock/control';
import { ErrorCode, isPaddockError, PaddockError, Role, type Sandbox } from '@paddock/core';
import { sendJson } from '@paddock/http';
import { appendAudit, auditRecordFor, type KeyUseSampler } from '../http/audit.ts';
import { toPaddockError } from '../http/errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import { type Reply, sendReply } from '../http/respond.ts';
import type { ServerDeps } from '../server-deps.ts';
import type { Admit } from '../ws/upgrade.ts';
import {
  ConnectCode,
  ConnectError,
  ConnectStream,
  isStreamingRequest,
  readConnectRequest,
  sendUnary,
  sendUnaryError,
  toConnectError,
} from './connect.ts';
import { CONTROL_ROUTES } from './control-api.ts';
import type {
  ControlRoute,
  E2bServices,
  EnvdCall,
  EnvdHttpRoute,
  EnvdRpc,
  EnvdUser,
} from './e2b-call.ts';
import { e2bMessage, e2bStatusFor } from './e2b-errors.ts';
import { E2B_NAMESPACE, isSecure, keyOfSandboxId } from './e2b-sandboxes.ts';
import { ENVD_HTTP_ROUTES } from './envd-files.ts';
import { FILESYSTEM_RPCS } from './envd-filesystem.ts';
import { PROCESS_RPCS } from './envd-process.ts';

export const E2B_PREFIX = '/e2b';

export { ENVD_VERSION } from './e2b-sandboxes.ts';

/**
 * Whether a request is the E2B surface's: under `/e2b`, or a signed file URL of the SDK's
 * `downloadUrl`/`uploadUrl`, which it builds on the origin's root (`/files?…&signature=…`).
 */
export function isE2bRequest(url: URL): boolean {
  const { pathname } = url;
  if (pathname === E2B_PREFIX || pathname.startsWith(`${E2B_PREFIX}/`)) return true;
  return pathname === SIGNED_FILES_PATH && url.searchParams.has('signature');
}

const SIGNED_FILES_PATH = '/files';

/**
 * The sandbox whose access token signed a root `/files` URL (it carries no sandbox id): each
 * running E2B sandbox's token is tried, so only a genuine signature finds one.
 */
async function signerOf(deps: ServerDeps, tokens: E2bServices['tokens'], ctx: RequestContext) {
  const { items } = await deps.engine.store.list('Sandbox', { namespace: E2B_NAMESPACE });
  const { isAuthRequired } = deps.config;
  return items.find((s) => isSecure(s, isAuthRequired) && isSignedBy(ctx, tokens, s));
}

/** Whether the request's URL is signed with `sandbox`'s token for what it does (GET reads). */
function isSignedBy(ctx: RequestContext, tokens: E2bServices['tokens'], sandbox: Sandbox) {
  const operation = ctx.method === 'GET' ? 'read' : 'write';
  return isValidSignature(ctx.url, operation, tokens.tokenFor(sandbox));
}

const ENVD_RPCS: ReadonlyMap<string, EnvdRpc> = new Map(
  Object.entries({ ...PROCESS_RPCS, ...FILESYSTEM_RPCS }),
);

type Matched<R> = { route: R; params: Record<string, string> };

function matchPath<R extends { method: string; path: string }>(
  routes: readonly R[],
  method: string,
  path: string,
): Matched<R> | 'method' | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  let wrongMethod = false;
  for (const route of routes) {
    const pattern = route.path.split('/').filter((s) => s !== '');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const isMatch = pattern.every((part, i) => {
      const segment = segments[i] ?? '';
      if (part.startsWith(':')) {
        try {
          params[part.slice(1)] = decodeURIComponent(segment);
        } catch {
          return false;
        }
        return true;
      }
      return part === segment;
    });
    if (!isMatch) continue;
    if (route.method !== method) {
      wrongMethod = true;
      continue;
    }
    return { route, params };
  }
  return wrongMethod ? 'method' : undefined;
}

/** E2B's error body: `{code: <HTTP status>, message}`; the SDK raises its own class by the status. */
export function sendE2bError(
  res: ServerResponse,
  status: number,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(
    res,
    status,
    { code: status, message },
    { headers: { ...headers, 'x-request-id': requestId, 'cache-control': 'no-store' } },
  );
}

export type E2bSurfaceOptions = {
  deps: ServerDeps;
  services: E2bServices;
  /** The REST API's authentication and rate limit, for API keys. */
  admit: Admit;
  keyUses: KeyUseSampler;
};

type Outcome = {
  status: number;
  error?: { code: string; message: string };
  /** An envd read or keystroke: no audit record (see `EnvdRpc`). */
  isUnaudited?: boolean;
};

/** Serves one request of the E2B surface, audit record included. */
export function createE2bSurface(options: E2bSurfaceOptions) {
  const { deps } = options;
  const log = deps.log;
  return async (ctx: RequestContext, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const isSignedUrl = !ctx.url.pathname.startsWith(E2B_PREFIX);
    const path = isSignedUrl ? SIGNED_FILES_PATH : ctx.url.pathname.slice(E2B_PREFIX.length) || '/';
    let sandboxId = headerOf(req, 'e2b-sandbox-id');
    let outcome: Outcome;
    try {
      const signer = isSignedUrl ? await signerOf(deps, options.services.tokens, ctx) : undefined;
      if (signer !== undefined) sandboxId = signer.metadata.name;
      if (isSignedUrl && signer === undefined) outcome = refuseSignature(ctx, req, res);
      else if (sandboxId === undefined) outcome = await serveControl(options, ctx, req, res, path);
      else outcome = await serveEnvd(options, ctx, req, res, path, sandboxId);
    } catch (error) {
      const known = toPaddockError(error, ctx.requestId, log);
      const status = e2bStatusFor(known);
      sendE2bError(res, status, e2bMessage(known), ctx.requestId);
      outcome = { status, error: known };
    }
    deps.metrics.httpRequests.inc({
      route: ctx.route?.path ?? `${E2B_PREFIX}${sandboxId === undefined ? '' : ' envd'}`,
      method: ctx.method,
      status: String(outcome.status),
    });
    if (outcome.isUnaudited) return;
    await appendAudit(
      deps.engine.auditLog,
      auditRecordFor(ctx, outcome.status, outcome.error, (keyId) =>
        options.keyUses.isDue(keyId, Date.now()),
      ),
      log,
    );
  };
}

/** A signed file URL that no running sandbox's token signed (or whose signature expired). */
function refuseSignature(ctx: RequestContext, req: IncomingMessage, res: ServerResponse): Outcome {
  req.resume();
  const message = 'the signature of this file URL is invalid or expired';
  sendE2bError(res, 401, message, ctx.requestId);
  return { status: 401, error: { code: ErrorCode.Unauthenticated, message } };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function serveControl(
  options: E2bSurfaceOptions,
  ctx: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<Outcome> {
  if (path === '/health' && ctx.method === 'GET') {
    req.resume();
    sendJson(res, 200, { message: 'ok' }, { headers: { 'x-request-id': ctx.requestId } });
    return { status: 200 };
  }
  const matched = matchPath<ControlRoute>(CONTROL_ROUTES, ctx.method, path);
  if (matched === undefined || matched === 'method') {
    req.resume();
    const status = matched === 'method' ? 405 : 404;
    const message =
      matched === 'method'
        ? `${ctx.method} is not allowed on ${E2B_PREFIX}${path}`
        : `${E2B_PREFIX}${path} is not part of Paddock's E2B API (see docs/e2b.md for what is supported)`;
    sendE2bError(res, status, message, ctx.requestId);
    return {
      status,
      error: { code: status === 405 ? 'method_not_allowed' : 'not_found', message },
    };
  }
  const { route, params } = matched;
  ctx.route = undefined;
  ctx.params = params;
  ctx.audit.action = route.action;
  const key = headerOf(req, 'x-api-key');
  const bearer = headerOf(req, 'authorization');
  const admission = await options.admit(ctx, key === undefined ? bearer : `Bearer ${key}`);
  if ('error' in admission) {
    req.resume();
    const status = httpStatusFor(admission.error.code);
    sendE2bError(res, status, admission.error.message, ctx.requestId, admission.headers);
    return { status, error: admission.error };
  }
  try {
    requireInScope(admission.principal, {
      channel: RequestChannel.E2b,
      method: ctx.method,
      namespace: undefined,
    });
  } catch (error) {
    req.resume();
    throw error;
  }
  // Revoking the key ends this request at once, as on the REST API.
  res.once('close', options.deps.keyConnections.bind(admission.principal, req.socket));
  const reply = await route.handle({
    ctx,
    principal: admission.principal,
    req,
    res,
    deps: options.deps,
    params,
    e2b: options.services,
  });
  sendReply(res, reply, ctx.requestId);
  return { status: reply.status };
}

/** The user an envd call names in `Authorization: Basic base64("user:")`; `user` when none. */
export function envdUserOf(authorization: string | undefined): EnvdUser {
  if (authorization === undefined) return 'user';
  const match = /^basic\s+(\S+)$/i.exec(authorization.trim());
  if (match === null)
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      'Authorization must be "Basic base64(user:)"',
    );
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const user = decoded.split(':')[0] ?? '';
  if (user === '' || user === 'user') return 'user';
  if (user === 'root') return 'root';
  throw new PaddockError(
    ErrorCode.ValidationFailed,
    `user "${user}" does not exist in the sandbox (it has "user" and "root")`,
  );
}

/**
 * Whether a `/files` URL's `signature` (E2B's signed upload and download URLs) is the sandbox's:
 * `v1_` + base64 SHA-256 of `path:operation:user:token[:expiration]`, not expired.
 */
function isValidSignature(url: URL, operation: 'read' | 'write', token: string): boolean {
  const signature = url.searchParams.get('signature');
  if (signature === null) return false;
  const path = url.searchParams.get('path') ?? '';
  const user = url.searchParams.get('username') ?? '';
  const expiration = url.searchParams.get('signature_expiration');
  if (expiration !== null && !(Number(expiration) * 1000 > Date.now())) return false;
  const raw = `${path}:${operation}:${user}:${token}${expiration === null ? '' : `:${expiration}`}`;
  const expected = Buffer.from(
    `v1_${createHash('sha256').update(raw).digest('base64').replace(/=+$/, '')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The principal an envd call acts for: the sandbox's owner, with a user's rights. */
function ownerPrincipal(sandbox: Sandbox): Principal {
  const owner = ownerOf(sandbox);
  return { id: owner ?? 'anonymous', roles: [Role.User], via: PrincipalVia.SandboxToken };
}

/** An envd answer when the sandbox is gone or not running: what E2B's proxy says (502). */
function sandboxGone(id: string, why: string): PaddockError {
  return new PaddockError(ErrorCode.SandboxNotFound, `sandbox "${id}" ${why}`);
}

/**
 * The answer to an envd call naming a sandbox that does not exist, or one the caller holds no
 * credential for: the same for both (status, body and audit code), so envd tells nobody without
 * the sandbox's token which ids exist.
 */
function sandboxUnknown(id: string): PaddockError {
  return sandboxGone(id, 'not found, or this access token (X-Access-Token) is not its');
}

async function serveEnvd(
  options: E2bSurfaceOptions,
  ctx: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  sandboxId: string,
): Promise<Outcome> {
  const { deps } = options;
  const rpc =
    path.startsWith('/process.Process/') || path.startsWith('/filesystem.Filesystem/')
      ? ENVD_RPCS.get(path.slice(1))
      : undefined;
  const isRpc = rpc !== undefined || path.includes('.');
  const fail = (error: PaddockError | ConnectError): Outcome => {
    req.resume();
    if (error instanceof ConnectError || isRpc) {
      // E2B's proxy answers an RPC to a missing sandbox 502, which Connect clients read as
      // `unavailable` (the SDK: "sandbox timeout"), never as a missing file.
      const connect =
        error instanceof ConnectError
          ? error
          : error.code === ErrorCode.SandboxNotFound
            ? new ConnectError(ConnectCode.Unavailable, error.message)
            : toConnectError(error, deps.log);
      if (isStreamingRequest(req)) {
        new ConnectStream(res).end(connect);
        return { status: 200, error: connect };
      }
      return { status: sendUnaryError(res, connect), error: connect };
    }
    const status =
      error.code === ErrorCode.SandboxNotFound ? 502 : e2bStatusFor(error as PaddockError);
    sendE2bError(res, status, error.message, ctx.requestId);
    return { status, error };
  };
  const key = keyOfSandboxId(sandboxId);
  if (key === undefined) return fail(sandboxUnknown(sandboxId));
  ctx.audit.target = { kind: 'Sandbox', ...key };
  let sandbox: Sandbox;
  try {
    sandbox = await deps.engine.store.get('Sandbox', key);
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) return fail(sandboxUnknown(sandboxId));
    throw error;
  }
  // Before anything else that depends on the sandbox (its health, its routes): without its
  // token a caller learns nothing a missing sandbox would not tell.
  if (isSecure(sandbox, deps.config.isAuthRequired)) {
    const isSigned =
      rpc === undefined && path === '/files' && isSignedBy(ctx, options.services.tokens, sandbox);
    const token = headerOf(req, 'x-access-token');
    if (!isSigned && !options.services.tokens.isValid(sandbox, token))
      return fail(sandboxUnknown(sandboxId));
  }
  const httpRoute =
    rpc === undefined ? matchPath<EnvdHttpRoute>(ENVD_HTTP_ROUTES, ctx.method, path) : undefined;
  if (rpc === undefined && (httpRoute === undefined || httpRoute === 'method')) {
    if (path === '/health' && ctx.method === 'GET') {
      // envd's liveness: 204 while the sandbox runs, E2B's proxy's 502 once it is gone.
      req.resume();
      const phase = sandbox.status?.phase;
      if (phase === 'Running' && sandbox.metadata.deletionTimestamp === undefined) {
        res.writeHead(204, { 'x-request-id': ctx.requestId });
        res.end();
        return { status: 204 };
      }
      return fail(sandboxGone(sandboxId, `is ${phase ?? 'Pending'}, not running`));
    }
    const message = `${path} is not part of Paddock's envd API`;
    if (isRpc) return fail(new ConnectError(ConnectCode.Unimplemented, message));
    return fail(new PaddockError(ErrorCode.NotFound, message));
  }
  let user: EnvdUser;
  try {
    user = envdUserOf(
      rpc === undefined && path === '/files'
        ? basicOf(ctx.url.searchParams.get('username'), headerOf(req, 'authorization'))
        : headerOf(req, 'authorization'),
    );
  } catch (error) {
    if (isPaddockError(error)) return fail(error);
    throw error;
  }
  let ref: ReturnType<typeof runningRef>;
  try {
    ref = runningRef(sandbox);
  } catch {
    return fail(sandboxGone(sandboxId, `is ${sandbox.status?.phase ?? 'Pending'}, not running`));
  }
  const principal = ownerPrincipal(sandbox);
  ctx.principal = principal;
  const call: EnvdCall = {
    ctx,
    principal,
    req,
    res,
    deps,
    sandbox,
    ref,
    user,
    e2b: options.services,
  };
  if (rpc === undefined) {
    const { route } = httpRoute as Matched<EnvdHttpRoute>;
    ctx.audit.action = route.action;
    let reply: Reply;
    try {
      reply = await route.handle(call);
    } catch (error) {
      return fail(toPaddockError(error, ctx.requestId, deps.log));
    }
    sendReply(res, reply, ctx.requestId);
    return { status: reply.status };
  }
  ctx.audit.action = rpc.action;
  const isUnaudited = rpc.action === undefined || rpc.quiet === true;
  return { ...(await callRpc(call, rpc, fail)), isUnaudited };
}

/** Runs an RPC that passed the checks: its answer, or its error as Connect says it. */
async function callRpc(
  call: EnvdCall,
  rpc: EnvdRpc,
  fail: (error: ConnectError) => Outcome,
): Promise<Outcome> {
  const { req, res, deps } = call;
  try {
    const message = await readConnectRequest(req, deps.config.maxBodyBytes);
    if (rpc.kind === 'unary') {
      sendUnary(res, await rpc.handle(call, message));
      return { status: 200 };
    }
    const stream = new ConnectStream(res);
    try {
      await rpc.handle(call, message, stream);
      stream.end();
      return { status: 200 };
    } catch (error) {
      const connect = toConnectError(error, deps.log);
      stream.end(connect);
      return { status: 200, error: connect };
    }
  } catch (error) {
    return fail(toConnectError(error, deps.log));
  }
}

/** `/files` names its user in the `username` query parameter (older SDKs in Basic auth). */
function basicOf(username: string | null, authorization: string | undefined): string | undefined {
  if (username !== null && username !== '')
    return `Basic ${Buffer.from(`${username}:`).toString('base64')}`;
  return authorization;
}
