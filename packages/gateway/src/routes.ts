import { ErrorCode, PaddockError } from '@paddock/core';
import { Provider } from './provider-errors.ts';

/** A request the gateway serves: which upstream, the path there, whether it is a metered call. */
export type Route = {
  provider: Provider;
  /** Appended to the upstream's base URL (Anthropic: `/v1/...`; OpenAI: after its `/v1`). */
  upstreamPath: string;
  method: 'GET' | 'POST';
  isMetered: boolean;
};

/** The provider a subpath names, when it names one (for the error shape of a bad route). */
export function providerOf(subpath: string): Provider | undefined {
  const first = subpath.replace(/^\/+/, '').split('/')[0];
  return first === Provider.Anthropic || first === Provider.OpenAi ? first : undefined;
}

const MODEL_ID = /^models\/[A-Za-z0-9._:@/-]+$/;

/**
 * The route of `subpath` (the path under the gateway's mount, without a query):
 * `anthropic/v1/messages` (metered), `anthropic/v1/messages/count_tokens`,
 * `anthropic/v1/models[/id]`, `openai/v1/chat/completions` and `openai/v1/responses` (metered),
 * `openai/v1/models[/id]`;
 * OpenAI paths also without `v1/`. Throws `not_found` or `method_not_allowed`.
 */
export function resolveRoute(subpath: string, method: string): Route {
  const path = subpath.replace(/^\/+/, '').replace(/\/+$/, '');
  const provider = providerOf(path);
  const rest = path.slice((provider ?? '').length + 1);
  const hasDotSegment = path.split('/').some((segment) => segment === '.' || segment === '..');
  const route = provider === undefined || hasDotSegment ? undefined : match(provider, rest);
  if (route === undefined) {
    throw new PaddockError(ErrorCode.NotFound, `the gateway has no route /${path}`, { path });
  }
  if (route.method !== method) {
    throw new PaddockError(
      ErrorCode.MethodNotAllowed,
      `${method} is not allowed on /${path} (use ${route.method})`,
      { allowed: [route.method] },
    );
  }
  return route;
}

function match(provider: Provider, rest: string): Route | undefined {
  switch (provider) {
    case Provider.Anthropic: {
      if (rest === 'v1/messages') return post(provider, '/v1/messages', true);
      if (rest === 'v1/messages/count_tokens') {
        return post(provider, '/v1/messages/count_tokens', false);
      }
      const models = rest.replace(/^v1\//, '');
      if (rest.startsWith('v1/') && (models === 'models' || MODEL_ID.test(models))) {
        return { provider, upstreamPath: `/v1/${models}`, method: 'GET', isMetered: false };
      }
      return undefined;
    }
    case Provider.OpenAi: {
      const tail = rest.replace(/^v1\//, '');
      if (tail === 'chat/completions') return post(provider, '/chat/completions', true);
      if (tail === 'responses') return post(provider, '/responses', true);
      if (tail === 'models' || MODEL_ID.test(tail)) {
        return { provider, upstreamPath: `/${tail}`, method: 'GET', isMetered: false };
      }
      return undefined;
    }
  }
}

function post(provider: Provider, upstreamPath: string, isMetered: boolean): Route {
  return { provider, upstreamPath, method: 'POST', isMetered };
}
