import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChangeFeed, ErrorCode, isPaddockError, PaddockError, type RunGrant } from '@paddock/core';
import { BodyProblem, isBodyProblem } from '@paddock/http';
import {
  type GatewayOptions,
  type ResolvedGatewayOptions,
  resolveGatewayOptions,
} from './gateway-options.ts';
import {
  presentedToken,
  readRequestBody,
  readText,
  returnedResponseHeaders,
  sendAnswer,
} from './http-io.ts';
import { KeyedLock } from './keyed-lock.ts';
import { meteredCall } from './metered-call.ts';
import { errorBody, Provider, refusalOf } from './provider-errors.ts';
import { messageOf } from './relay.ts';
import { providerOf, resolveRoute } from './routes.ts';
import { fetchUpstream } from './upstream-request.ts';

/**
 * The LLM gateway as a request handler. The server mounts it under a prefix (`/gateway/`) and
 * passes the rest of the path (`anthropic/v1/messages`, `openai/v1/chat/completions`, …).
 */
export type Gateway = {
  handle(req: IncomingMessage, res: ServerResponse, subpath: string): Promise<void>;
  /** The run's metered calls in flight: begun and not yet recorded (`onCall` not yet done). */
  callsInFlight(runUid: string): number;
  /** Calls `listener` (synchronously) when a metered call begins and once it is recorded. */
  subscribe(listener: () => void): () => void;
};

/**
 * Creates the gateway. Every answer it gives itself is in the provider's error shape: 401 for a
 * missing, invalid, expired or finished-run token, 400 for a body that is not JSON or has no
 * `model`, names a key twice or declares a provider-side tool under a USD budget, 402 over a
 * budget (header `x-paddock-budget-limit`), 404/405 for unknown routes, 413 past
 * `maxBodyBytes`, 429 when calls in flight still hold the rest of a budget after
 * `budgetWaitMs`, 502 for an unreachable upstream, 503 without a provider key, 504 for an
 * upstream silent past its timeouts. Upstream errors pass through unchanged. Throws
 * `validation_failed` for bad options.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const resolved = resolveGatewayOptions(options);
  const locks = new KeyedLock();
  const holds = new ChangeFeed();
  const inFlight = new Map<string, number>();
  const feed = new ChangeFeed();
  const metered = async (ctx: Parameters<typeof meteredCall>[0]) => {
    const { runUid } = ctx.grant;
    inFlight.set(runUid, (inFlight.get(runUid) ?? 0) + 1);
    feed.notify();
    try {
      await meteredCall(ctx);
    } finally {
      const left = (inFlight.get(runUid) ?? 1) - 1;
      if (left === 0) inFlight.delete(runUid);
      else inFlight.set(runUid, left);
      feed.notify();
    }
  };

  return {
    callsInFlight: (runUid) => inFlight.get(runUid) ?? 0,
    subscribe: (listener) => feed.subscribe(listener),
    async handle(req, res, subpath) {
      const path = subpath.split('?')[0] ?? '';
      const provider = providerOf(path) ?? Provider.OpenAi;
      try {
        const route = resolveRoute(path, req.method ?? 'GET');
        const grant = await authenticate(resolved, req);
        const upstream = resolved.upstreams[route.provider];
        if (upstream === undefined) {
          throw new PaddockError(
            ErrorCode.RuntimeUnavailable,
            `the gateway has no ${route.provider} upstream configured`,
            { provider: route.provider },
          );
        }
        const ctx = { options: resolved, req, res, route, upstream };
        if (route.isMetered) {
          await metered({ ...ctx, grant, locks, holds });
          return;
        }
        const body =
          route.method === 'POST' ? await readRequestBody(req, resolved.maxBodyBytes) : undefined;
        const fetched = await fetchUpstream(ctx, body);
        if (fetched.refusal !== undefined) {
          const { refusal } = fetched;
          const headers = { 'content-type': 'application/json' };
          sendAnswer(res, { status: refusal.status, headers, body: errorBody(provider, refusal) });
          return;
        }
        sendAnswer(res, {
          status: fetched.response.status,
          headers: returnedResponseHeaders(fetched.response.headers),
          body: fetched.response.redact(await readText(fetched.response.chunks)),
        });
      } catch (error) {
        // The caller left mid-body: there is nobody to answer.
        if (isBodyProblem(error, BodyProblem.CutOff)) return;
        if (!isPaddockError(error)) resolved.log(`gateway: ${messageOf(error)}`);
        const refusal = refusalOf(
          isPaddockError(error) ? error : new PaddockError(ErrorCode.Internal, 'internal'),
        );
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (refusal.status === 401) headers['www-authenticate'] = 'Bearer';
        // Refusals often come before the body was read (401, 404): `req` lets it still arrive.
        sendAnswer(
          res,
          { status: refusal.status, headers, body: errorBody(provider, refusal) },
          req,
        );
      }
    },
  };
}

/**
 * The grant of the caller's run token. Throws `unauthenticated` when there is none, it is not
 * genuine, it expired, or its run is over.
 */
async function authenticate(
  options: ResolvedGatewayOptions,
  req: IncomingMessage,
): Promise<RunGrant> {
  const token = presentedToken(req.headers);
  if (token === undefined) {
    throw new PaddockError(
      ErrorCode.Unauthenticated,
      'no run token: send it as x-api-key or Authorization: Bearer',
    );
  }
  const grant = options.tokens.verify(token);
  if (grant === undefined) {
    throw new PaddockError(ErrorCode.Unauthenticated, 'the run token is invalid or expired');
  }
  if (options.isActive !== undefined && !(await options.isActive(grant))) {
    throw new PaddockError(
      ErrorCode.Unauthenticated,
      `run ${grant.namespace}/${grant.runName} is over; its token no longer works`,
    );
  }
  return grant;
}
