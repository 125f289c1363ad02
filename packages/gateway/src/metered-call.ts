import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  type ChangeFeed,
  costUsd,
  ErrorCode,
  isPaddockError,
  type LlmCallRecord,
  PaddockError,
  parseInput,
  priceOf,
  type RunGrant,
  type TokenCounts,
} from '@paddock/core';
import { BodyProblem, isBodyProblem } from '@paddock/http';
import { z } from 'zod';
import { BudgetLimits, estimateCall, usdLimitOf, worstCaseCall } from './budget.ts';
import { heldBudgetRefusal, reserveBudgetWaiting } from './budget-wait.ts';
import { firstDuplicateKey } from './duplicate-keys.ts';
import type { ResolvedGatewayOptions, UpstreamConfig } from './gateway-options.ts';
import { readRequestBody, sendAnswer } from './http-io.ts';
import type { KeyedLock } from './keyed-lock.ts';
import { errorBody, Provider, type Refusal, refusalOf } from './provider-errors.ts';
import { providerToolOf, webSearchesHeld } from './provider-tools.ts';
import { CLIENT_CLOSED_STATUS, messageOf, type RelayOutcome, relayResponse } from './relay.ts';
import type { Route } from './routes.ts';
import { fetchUpstream } from './upstream-request.ts';
import { UsageMeter } from './usage-meter.ts';

/** The fields of a model request the gateway reads; the rest is forwarded untouched. */
const ModelRequest = z.looseObject({
  model: z.string().min(1),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
});
type ModelRequest = z.infer<typeof ModelRequest>;

export type MeteredCallContext = {
  options: ResolvedGatewayOptions;
  locks: KeyedLock;
  /** Notified whenever a call of this gateway lets go of its hold (settled or released). */
  holds: ChangeFeed;
  req: IncomingMessage;
  res: ServerResponse;
  route: Route;
  grant: RunGrant;
  upstream: UpstreamConfig;
};

/**
 * One model call (Anthropic Messages, OpenAI Chat Completions or Responses): parse, check the budgets,
 * forward with the real key, relay the answer, then record what it used and cost. Every outcome
 * past authentication is recorded, refusals and failures included. Under a limit the check and the
 * charge are one step: the call holds its worst case in the ledger before it is forwarded, and its
 * record replaces the hold (a call that ends unrecorded releases it).
 */
export async function meteredCall(ctx: MeteredCallContext): Promise<void> {
  const { options, grant, route } = ctx;
  const at = options.now();
  const startedMs = performance.now();
  let model = '';
  let isStream = false;
  const meter = new UsageMeter(route.provider);
  const hold = { id: randomUUID(), isHeld: false };
  // The run's lock, while this call holds it: let go once the call's record is committed.
  let release: (() => void) | undefined;
  // What the call is charged: nothing until the upstream accepted it; then what its answer
  // reported, or, when the answer ended without its final usage (a stream cut short, an answer
  // without usage), its estimate where that says more (not its worst case, which it holds).
  let estimate: TokenCounts = { inputTokens: 0, outputTokens: 0 };
  let isAccepted = false;
  let costOf = (_counts: TokenCounts) => 0;
  const charged = () => (isAccepted ? meter.chargedCounts(estimate) : meter.counts);
  const record = (outcome: RelayOutcome, counts: TokenCounts) =>
    recordCall(ctx, hold, () => release?.(), {
      ...grant,
      at: at.toISOString(),
      provider: route.provider,
      model,
      status: outcome.status,
      isStream: outcome.isStream,
      ...counts,
      costUsd: costOf(counts),
      latencyMs: Math.max(0, performance.now() - startedMs),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    });
  const refuse = async (refusal: Refusal) => {
    const body = errorBody(route.provider, refusal);
    sendAnswer(ctx.res, { status: refusal.status, headers: jsonHeaders(refusal), body }, ctx.req);
    await record(
      { status: refusal.status, isStream, error: { code: refusal.type, message: refusal.message } },
      meter.counts,
    );
  };

  try {
    const raw = await readRequestBody(ctx.req, options.maxBodyBytes);
    const request = parseRequest(raw);
    model = request.model;
    isStream = request.stream === true;
    const limits = parseInput(BudgetLimits, await options.limitsFor(grant), 'budget limits');
    const tool = providerToolOf(route, request);
    const usdLimit = usdLimitOf(limits);
    if (tool !== undefined && usdLimit !== undefined) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `${tool.path} is the provider-side tool "${tool.type}", which the provider bills per use and the gateway cannot meter; it is refused while a USD budget (${usdLimit}) applies`,
        { issues: [{ path: tool.path, message: `provider-side tool ${tool.type}` }] },
      );
    }
    // Calls of a run with a run limit go one at a time, so the run's next call is checked
    // against the last one's actual cost, not its estimate (holds cover other processes).
    if (limits.runUsd !== undefined || limits.runTokens !== undefined) {
      release = await ctx.locks.acquire(grant.runUid);
    }
    const { prices, ledger } = options;
    const webSearchUsd = options.webSearchUsd[route.provider];
    const price = priceOf(prices, model);
    estimate = estimateCall(request, raw.length);
    const reserved = await reserveBudgetWaiting(
      {
        id: hold.id,
        grant,
        model,
        hold: worstCaseCall(request, raw.length, price?.maxOutputTokens),
        feesUsd: webSearchesHeld(route, request) * webSearchUsd,
        limits,
        ledger,
        prices,
        now: at,
      },
      { holds: ctx.holds, waitMs: options.budgetWaitMs, res: ctx.res },
    );
    if ('refusal' in reserved) {
      const { refusal } = reserved;
      if (ctx.res.destroyed) {
        await record({ status: CLIENT_CLOSED_STATUS, isStream, error: clientGone }, meter.counts);
      } else if (!refusal.isSpent) {
        await refuse(heldBudgetRefusal(refusal));
      } else {
        await refuse(refusal);
        if (!refusal.isModelUnpriced) {
          await safely(ctx, 'onBudgetExceeded', () =>
            options.onBudgetExceeded?.(grant, refusal.limit),
          );
        }
      }
      return;
    }
    hold.isHeld = reserved.isHeld;
    // Tokens at the model's price, and every web search the answer reported at its own.
    costOf = (counts: TokenCounts) =>
      (price !== undefined ? costUsd(prices, model, counts) : 0) + meter.webSearches * webSearchUsd;
    const { body, dropUsageOnlyChunk } = outgoingBody(route, request, raw);
    const fetched = await fetchUpstream(ctx, body);
    if (fetched.refusal !== undefined) {
      if (fetched.isClientGone) {
        await record({ status: CLIENT_CLOSED_STATUS, isStream, error: clientGone }, meter.counts);
      } else {
        await refuse(fetched.refusal);
      }
      return;
    }
    const { status } = fetched.response;
    isAccepted = status >= 200 && status < 300;
    const outcome = await relayResponse({
      provider: route.provider,
      response: fetched.response,
      res: ctx.res,
      meter,
      dropUsageOnlyChunk,
      cost: () => costOf(charged()),
    });
    await record(outcome, charged());
  } catch (error) {
    const isCallerGone = ctx.res.destroyed && !ctx.res.writableFinished;
    if (isCallerGone || isBodyProblem(error, BodyProblem.CutOff)) {
      // The caller left mid-body, or while the answer was read (the read was aborted with it).
      await record({ status: CLIENT_CLOSED_STATUS, isStream, error: clientGone }, charged());
      return;
    }
    if (!isPaddockError(error)) options.log(`gateway: call failed: ${messageOf(error)}`);
    if (ctx.res.headersSent) {
      ctx.res.destroy();
      return;
    }
    await refuse(refusalOf(isPaddockError(error) ? error : internal(error)));
  } finally {
    if (hold.isHeld) await releaseHold(ctx, hold.id);
    release?.();
  }
}

const clientGone = { code: 'client_closed_request', message: 'the caller went away' };

/**
 * The request, parsed. Refuses (`validation_failed`) a body that is not JSON, lacks `model`, or
 * names a key twice in one object: the gateway reads the last of duplicates, a provider may
 * read the first, and the call must run as the model it was priced as.
 */
function parseRequest(body: Buffer): ModelRequest {
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PaddockError(ErrorCode.ValidationFailed, 'request body is not JSON', {
      issues: [{ path: '(root)', message: 'not JSON' }],
    });
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `request body names ${duplicate} twice; send each key once`,
      { issues: [{ path: duplicate, message: 'duplicate key' }] },
    );
  }
  return parseInput(ModelRequest, json, 'request body');
}

/**
 * The body sent upstream: the caller's, except that an OpenAI stream that did not ask for usage
 * gets `stream_options.include_usage` (the only way to meter it) and the extra chunk withheld.
 */
function outgoingBody(
  route: Route,
  request: ModelRequest,
  raw: Buffer,
): { body: Buffer | string; dropUsageOnlyChunk: boolean } {
  const isUsageAsked = request.stream_options?.include_usage === true;
  // Chat Completions streams report usage only when asked; Responses streams always do.
  const isChat = route.provider === Provider.OpenAi && route.upstreamPath === '/chat/completions';
  if (!isChat || request.stream !== true || isUsageAsked) {
    return { body: raw, dropUsageOnlyChunk: false };
  }
  const streamOptions = { ...(request.stream_options ?? {}), include_usage: true };
  return {
    body: JSON.stringify({ ...request, stream_options: streamOptions }),
    dropUsageOnlyChunk: true,
  };
}

function jsonHeaders(refusal: Refusal): Record<string, string> {
  return { 'content-type': 'application/json', ...refusal.headers };
}

function internal(error: unknown): PaddockError {
  return new PaddockError(ErrorCode.Internal, 'internal gateway error', {}, { cause: error });
}

/**
 * Records the call, in place of its hold when it has one (a failed settle releases the hold).
 * `committed` runs once the record counts for budgets, so the run's next call can go on; then
 * `onCall`, then the wait for the record to be durable (a sync `onCall`'s own durable write began
 * serves), all while the call is still in flight.
 */
async function recordCall(
  ctx: MeteredCallContext,
  hold: { id: string; isHeld: boolean },
  committed: () => void,
  call: LlmCallRecord,
): Promise<void> {
  const isHeld = hold.isHeld;
  hold.isHeld = false;
  const { ledger, log } = ctx.options;
  let isRecorded = false;
  try {
    if (isHeld) await ledger.settle(hold.id, call);
    else await ledger.record(call);
    isRecorded = true;
    if (isHeld) ctx.holds.notify();
  } catch (error) {
    log(`gateway: recording a call of run ${call.runUid} failed: ${messageOf(error)}`);
    if (isHeld) await releaseHold(ctx, hold.id);
  }
  committed();
  await safely(ctx, 'onCall', () => ctx.options.onCall?.(ctx.grant, call));
  if (!isRecorded) return;
  try {
    await ledger.durable();
  } catch (error) {
    log(`gateway: a call of run ${call.runUid} is recorded but not durable: ${messageOf(error)}`);
  }
}

async function releaseHold(ctx: MeteredCallContext, id: string): Promise<void> {
  try {
    await ctx.options.ledger.release(id);
    ctx.holds.notify();
  } catch (error) {
    ctx.options.log(
      `gateway: releasing a hold of run ${ctx.grant.runUid} failed: ${messageOf(error)}`,
    );
  }
}

/** Runs a hook; a hook that throws is logged, never turned into the caller's error. */
async function safely(
  ctx: MeteredCallContext,
  name: string,
  hook: () => void | Promise<void>,
): Promise<void> {
  try {
    await hook();
  } catch (error) {
    ctx.options.log(`gateway: ${name} of run ${ctx.grant.runUid} failed: ${messageOf(error)}`);
  }
}
