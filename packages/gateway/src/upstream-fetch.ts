import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, PaddockError } from '@paddock/core';
import {
  type ResolvedGatewayOptions,
  type UpstreamConfig,
  upstreamUrl,
} from './gateway-options.ts';
import { forwardedRequestHeaders } from './http-io.ts';
import { Provider, type Refusal } from './provider-errors.ts';
import { messageOf } from './relay.ts';
import type { Route } from './routes.ts';

/** The Anthropic API version sent when the caller named none (curl users often forget it). */
const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

export type UpstreamRequest = {
  options: ResolvedGatewayOptions;
  req: IncomingMessage;
  res: ServerResponse;
  route: Route;
  upstream: UpstreamConfig;
};

export type Fetched =
  | { response: Response; refusal?: undefined }
  | { refusal: Refusal; isClientGone: boolean };

/**
 * Sends the caller's request upstream with the real key in place of the run token. Aborted when
 * the caller goes away (so a cancelled stream stops costing). Throws `runtime_unavailable` when
 * no key is configured; an unreachable upstream is a 502 refusal.
 */
export async function fetchUpstream(
  ctx: UpstreamRequest,
  body: Buffer | string | undefined,
): Promise<Fetched> {
  const { route, req, res } = ctx;
  const apiKey = await ctx.upstream.apiKey();
  if (apiKey === undefined || apiKey === '') {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `the gateway has no API key for ${route.provider}; ask an operator to configure one`,
      { provider: route.provider },
    );
  }
  const headers = forwardedRequestHeaders(req.headers, authHeaders(route.provider, apiKey));
  if (route.provider === Provider.Anthropic && !headers.has('anthropic-version')) {
    headers.set('anthropic-version', DEFAULT_ANTHROPIC_VERSION);
  }
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  // The caller may have left while this call waited for its run's lock.
  if (res.closed || res.destroyed) controller.abort();
  const search = new URL(req.url ?? '/', 'http://gateway.invalid').search;
  try {
    const response = await ctx.options.fetch(
      upstreamUrl(ctx.upstream.baseUrl, route.upstreamPath, search),
      {
        method: route.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: controller.signal,
      },
    );
    return { response };
  } catch (error) {
    const isClientGone = controller.signal.aborted;
    return {
      isClientGone,
      refusal: {
        status: 502,
        type: 'api_error',
        message: `the gateway could not reach the ${route.provider} upstream: ${messageOf(error)}`,
      },
    };
  }
}

function authHeaders(provider: Provider, apiKey: string): Record<string, string> {
  switch (provider) {
    case Provider.Anthropic:
      return { 'x-api-key': apiKey };
    case Provider.OpenAi:
      return { authorization: `Bearer ${apiKey}` };
  }
}
