/**
 * The scripted LLM server: a node:http listener that routes the Anthropic and OpenAI endpoints,
 * checks the key, records model requests and plays one scripted turn per request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BodyProblem, closeServer, isBodyProblem, listen, readBody } from '@paddock/http';
import { AnthropicCountTokensRequest, anthropicModel, anthropicModelList } from './anthropic.ts';
import { answerJson, carriesKey, headerRecord } from './http-io.ts';
import { randomId } from './ids.ts';
import { type ModelCall, type ModelRoute, parseModelCall } from './model-call.ts';
import { openaiModel, openaiModelList } from './openai.ts';
import { errorAnswer, type ProviderApi } from './provider-errors.ts';
import type { RecordedRequest, ScriptedLlm, ScriptedLlmOptions } from './script.ts';
import { waitForAbort, writeSse } from './sse-writer.ts';
import { TurnSource } from './turn-source.ts';
import { estimateTokens, turnUsage } from './usage.ts';

const defaultModels: Record<ProviderApi, readonly string[]> = {
  anthropic: ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-6'],
  openai: ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1'],
};

/** The largest request body taken: the request size limit of Anthropic's Messages API. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

type Route = ModelRoute | 'anthropic-count-tokens' | 'models' | 'model';

const routeTable: readonly { pattern: RegExp; method: string; route: Route }[] = [
  { pattern: /^\/v1\/messages$/, method: 'POST', route: 'anthropic-messages' },
  { pattern: /^\/v1\/messages\/count_tokens$/, method: 'POST', route: 'anthropic-count-tokens' },
  { pattern: /^\/v1\/chat\/completions$/, method: 'POST', route: 'openai-chat' },
  { pattern: /^\/v1\/responses$/, method: 'POST', route: 'openai-responses' },
  { pattern: /^\/v1\/models$/, method: 'GET', route: 'models' },
  { pattern: /^\/v1\/models\/[^/]+$/, method: 'GET', route: 'model' },
];

/** Anthropic paths and clients (they send `anthropic-version`) get Anthropic-shaped answers. */
function apiOf(req: IncomingMessage, path: string): ProviderApi {
  if (path.startsWith('/v1/messages')) return 'anthropic';
  if (path.startsWith('/v1/chat/') || path.startsWith('/v1/responses')) return 'openai';
  return req.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai';
}

/** Starts the server on 127.0.0.1 and a random port unless told otherwise. */
export async function startScriptedLlm(options: ScriptedLlmOptions): Promise<ScriptedLlm> {
  const turns = new TurnSource(options.script);
  const requests: RecordedRequest[] = [];
  const inFlight = new Set<AbortController>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://scripted-llm').pathname;
    const api = apiOf(req, path);
    res.setHeader(api === 'anthropic' ? 'request-id' : 'x-request-id', randomId('req_'));
    const matches = routeTable.filter((entry) => entry.pattern.test(path));
    const match = matches.find((entry) => entry.method === req.method);
    if (match === undefined) {
      const isKnownPath = matches.length > 0;
      const message = `scripted LLM: ${isKnownPath ? 'method not allowed' : 'no route'} for ${req.method} ${path}`;
      answerJson(req, res, errorAnswer(api, isKnownPath ? 405 : 404, message));
      return;
    }
    if (options.requireKey !== undefined && !carriesKey(req, options.requireKey)) {
      const message = api === 'anthropic' ? 'invalid x-api-key' : 'Incorrect API key provided';
      answerJson(req, res, errorAnswer(api, 401, message));
      return;
    }
    const models = options.models ?? defaultModels[api];
    switch (match.route) {
      case 'models':
        answerJson(req, res, {
          status: 200,
          headers: {},
          body: api === 'anthropic' ? anthropicModelList(models) : openaiModelList(models),
        });
        return;
      case 'model': {
        const id = decodeURIComponent(path.slice('/v1/models/'.length));
        answerJson(req, res, {
          status: 200,
          headers: {},
          body: api === 'anthropic' ? anthropicModel(id) : openaiModel(id),
        });
        return;
      }
      case 'anthropic-count-tokens': {
        const body = await readJson(req, res, api);
        if (body === undefined) return;
        const parsed = AnthropicCountTokensRequest.safeParse(body.value);
        if (!parsed.success) {
          answerJson(req, res, errorAnswer(api, 400, `scripted LLM: ${parsed.error.message}`));
          return;
        }
        const { system, messages, tools } = parsed.data;
        const inputTokens = estimateTokens({ system, messages, tools });
        answerJson(req, res, { status: 200, headers: {}, body: { input_tokens: inputTokens } });
        return;
      }
      case 'anthropic-messages':
      case 'openai-chat':
      case 'openai-responses': {
        const body = await readJson(req, res, api);
        if (body === undefined) return;
        const parsed = parseModelCall(match.route, body.value);
        if ('problem' in parsed) {
          answerJson(req, res, errorAnswer(api, 400, parsed.problem));
          return;
        }
        await play(req, res, path, body.value, parsed.call);
        return;
      }
    }
  }

  async function play(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: unknown,
    call: ModelCall,
  ): Promise<void> {
    const recorded: RecordedRequest = {
      api: call.api,
      method: req.method ?? 'POST',
      path,
      headers: headerRecord(req),
      body,
      model: call.model,
      isStream: call.isStream,
    };
    requests.push(recorded);
    const index = requests.length - 1;
    const turn = turns.take(recorded, index);
    if (turn === undefined) {
      const message = `scripted LLM: no turn left for request #${index + 1} (${call.api} ${path})`;
      answerJson(req, res, errorAnswer(call.api, 500, message, { shouldRetry: false }));
      return;
    }
    if (turn.error !== undefined) {
      const { status, retryAfterSeconds } = turn.error;
      const message = turn.error.message ?? `scripted LLM: scripted error ${status}`;
      answerJson(req, res, errorAnswer(call.api, status, message, { retryAfterSeconds }));
      return;
    }
    const usage = turnUsage(turn, call.prompt);
    const abort = new AbortController();
    inFlight.add(abort);
    res.on('close', () => abort.abort());
    try {
      if (call.isStream) {
        await writeSse(res, call.renderStream(turn, usage), {
          chunkDelayMs: turn.chunkDelayMs,
          isHanging: turn.isHanging,
          signal: abort.signal,
        });
      } else if (turn.isHanging === true) {
        await waitForAbort(abort.signal);
      } else {
        answerJson(req, res, { status: 200, headers: {}, body: call.renderJson(turn, usage) });
      }
    } finally {
      inFlight.delete(abort);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A body cut off by the client leaving has nobody to answer.
      if (isBodyProblem(error, BodyProblem.CutOff)) return;
      const message = `scripted LLM: ${error instanceof Error ? error.message : String(error)}`;
      const path = new URL(req.url ?? '/', 'http://scripted-llm').pathname;
      answerJson(req, res, errorAnswer(apiOf(req, path), 500, message, { shouldRetry: false }));
    });
  });
  const url = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');

  return {
    url,
    requests,
    remaining: () => turns.remaining(),
    push: (...more) => turns.push(more),
    close: async () => {
      for (const abort of inFlight) abort.abort();
      await closeServer(server);
    },
  };
}

/**
 * Parses the body as JSON, answering in the provider's shape when it cannot: 413 past
 * `MAX_BODY_BYTES`, 400 when it is not JSON.
 */
async function readJson(
  req: IncomingMessage,
  res: ServerResponse,
  api: ProviderApi,
): Promise<{ value: unknown } | undefined> {
  let text: string;
  try {
    text = (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
  } catch (error) {
    if (!isBodyProblem(error, BodyProblem.TooLarge)) throw error;
    answerJson(req, res, errorAnswer(api, 413, `scripted LLM: ${error.message}`));
    return undefined;
  }
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `scripted LLM: request body is not valid JSON: ${reason}`;
    answerJson(req, res, errorAnswer(api, 400, message));
    return undefined;
  }
}
