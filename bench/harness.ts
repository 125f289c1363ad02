// The built-in harness (packages/agent) beside its floor, against the scripted LLM server:
// - per turn: a task of TURNS turns (each but the last calls list_dir) run in process by the
//   harness, vs the same turns made with the provider's SDK directly (streaming, the conversation
//   grown by hand, a canned tool result) — same server, same script;
// - cold start: `node packages/agent/src/main.ts` for a one-turn task, process start to exit, vs a
//   Node process making the same one streaming call with the SDK.
// Reported against, not thresholds.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { HarnessConfig, prepareRun, runHarness } from '@paddock/agent';
import { type RecordedRequest, type ScriptedTurn, startScriptedLlm } from '@paddock/testkit';
import OpenAI from 'openai';
import { elapsedMs, fmtMs, progress, ratio, type Summary, summarize } from './stats.ts';

const ROUNDS = Number(process.env.PADDOCK_BENCH_ROUNDS ?? 20);
const COLD_ROUNDS = Math.max(3, Math.ceil(ROUNDS / 4));
const TURNS = 10;
/** The goal for what the harness adds to a turn at p50, in ms. */
const GOAL_ADDED_MS = 2;
const MODELS = { anthropic: 'claude-sonnet-4-6', openai: 'gpt-4o' } as const;
type Provider = keyof typeof MODELS;
const ROOT = join(import.meta.dirname, '..');

/** Turn n of a conversation is a tool call until the last, which answers. */
function scriptTurn(request: RecordedRequest): ScriptedTurn {
  const body = request.body as { messages: Array<{ role: string }> };
  const assistants = body.messages.filter((m) => m.role === 'assistant').length;
  return assistants < TURNS - 1
    ? { text: 'Looking.', toolCalls: [{ name: 'list_dir', input: {} }] }
    : { text: 'Done: the directory is empty.' };
}

async function harnessRun(provider: Provider, url: string, cwd: string, turns: number) {
  const config = HarnessConfig.parse({
    provider,
    model: MODELS[provider],
    baseUrl: provider === 'anthropic' ? url : `${url}/v1`,
    apiKey: 'bench',
    prompt: 'list the directory',
    cwd,
    budget: { maxTurns: turns },
  });
  const result = await runHarness(prepareRun(config), {
    write: () => undefined,
    stdin: Readable.from([]),
  });
  if (result.outcome !== 'succeeded' && result.outcome !== 'budget_exceeded') {
    throw new Error(`harness run ended ${result.outcome}`);
  }
}

async function anthropicFloor(url: string): Promise<void> {
  const client = new Anthropic({ apiKey: 'bench', baseURL: url, maxRetries: 0 });
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'list the directory' }];
  for (let turn = 0; turn < TURNS; turn++) {
    const stream = await client.messages.create({
      model: MODELS.anthropic,
      max_tokens: 8192,
      messages,
      stream: true,
    });
    let text = '';
    const tools: Array<{ id: string; name: string }> = [];
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        text += event.delta.text;
      if (event.type === 'content_block_start' && event.content_block.type === 'tool_use')
        tools.push({ id: event.content_block.id, name: event.content_block.name });
    }
    if (tools.length === 0) return;
    messages.push({
      role: 'assistant',
      content: [
        { type: 'text', text },
        ...tools.map((t) => ({ type: 'tool_use' as const, id: t.id, name: t.name, input: {} })),
      ],
    });
    messages.push({
      role: 'user',
      content: tools.map((t) => ({
        type: 'tool_result' as const,
        tool_use_id: t.id,
        content: '(empty directory)',
      })),
    });
  }
}

async function openaiFloor(url: string): Promise<void> {
  const client = new OpenAI({ apiKey: 'bench', baseURL: `${url}/v1`, maxRetries: 0 });
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'user', content: 'list the directory' },
  ];
  for (let turn = 0; turn < TURNS; turn++) {
    const stream = await client.chat.completions.create({
      model: MODELS.openai,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const tools: Array<{ id: string; name: string }> = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      if (delta?.content) text += delta.content;
      for (const call of delta?.tool_calls ?? []) {
        if (call.id) tools.push({ id: call.id, name: call.function?.name ?? '' });
      }
    }
    if (tools.length === 0) return;
    messages.push({
      role: 'assistant',
      content: text,
      tool_calls: tools.map((t) => ({
        id: t.id,
        type: 'function' as const,
        function: { name: t.name, arguments: '{}' },
      })),
    });
    for (const t of tools)
      messages.push({ role: 'tool', tool_call_id: t.id, content: '(empty directory)' });
  }
}

function runProcess(argv: string[], env: Record<string, string>, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}`)),
    );
  });
}

const FLOOR_SCRIPT = `
import Anthropic from '@anthropic-ai/sdk';
const client = new Anthropic({ maxRetries: 0 });
const stream = await client.messages.create({ model: '${MODELS.anthropic}', max_tokens: 8192, stream: true,
  messages: [{ role: 'user', content: 'hello' }] });
for await (const _ of stream);
`;

/** Runs both cases and prints the table; returns the results for latest.json. */
export async function runHarnessBench(): Promise<Record<string, unknown>> {
  const cwd = mkdtempSync(join(tmpdir(), 'paddock-bench-harness-'));
  const llm = await startScriptedLlm({ script: scriptTurn });
  const oneTurn = await startScriptedLlm({ script: () => ({ text: 'Hello there.' }) });
  try {
    const perTurn: Record<
      string,
      { harness: Summary; floor: Summary; ratio: number; addedMsP50: number }
    > = {};
    for (const provider of ['anthropic', 'openai'] as const) {
      const floor = provider === 'anthropic' ? anthropicFloor : openaiFloor;
      await harnessRun(provider, llm.url, cwd, TURNS); // warm-up: module and connection setup
      await floor(llm.url);
      const harness: number[] = [];
      const direct: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        progress(`harness ${provider}: round ${round + 1}/${ROUNDS}`);
        let start = process.hrtime.bigint();
        await harnessRun(provider, llm.url, cwd, TURNS);
        harness.push(elapsedMs(start) / TURNS);
        start = process.hrtime.bigint();
        await floor(llm.url);
        direct.push(elapsedMs(start) / TURNS);
      }
      const h = summarize(harness);
      const f = summarize(direct);
      perTurn[provider] = {
        harness: h,
        floor: f,
        ratio: ratio(h.p50, f.p50),
        addedMsP50: h.p50 - f.p50,
      };
    }

    const env = { ANTHROPIC_API_KEY: 'bench', ANTHROPIC_BASE_URL: oneTurn.url };
    const main = join(ROOT, 'packages', 'agent', 'src', 'main.ts');
    const agentArgs = [main, '--provider', 'anthropic', '--model', MODELS.anthropic];
    const coldHarness: number[] = [];
    const coldFloor: number[] = [];
    for (let round = 0; round < COLD_ROUNDS; round++) {
      progress(`harness cold start: round ${round + 1}/${COLD_ROUNDS}`);
      let start = process.hrtime.bigint();
      await runProcess([...agentArgs, '--prompt', 'hello', '--cwd', cwd], env, ROOT);
      coldHarness.push(elapsedMs(start));
      start = process.hrtime.bigint();
      await runProcess(['--input-type=module', '-e', FLOOR_SCRIPT], env, ROOT);
      coldFloor.push(elapsedMs(start));
    }
    progress('');
    const cold = {
      harness: summarize(coldHarness),
      floor: summarize(coldFloor),
      ratio: ratio(summarize(coldHarness).p50, summarize(coldFloor).p50),
    };

    const row = (label: string, x: Summary, against?: Summary) =>
      `${label.padEnd(40)} p50 ${fmtMs(x.p50).padStart(9)}  p95 ${fmtMs(x.p95).padStart(9)}${
        against ? `   ${ratio(x.p50, against.p50).toFixed(2)}× floor p50` : ''
      }`;
    console.log(
      `\npaddock-agent vs direct SDK calls, ${ROUNDS} rounds of ${TURNS} turns (scripted LLM)`,
    );
    for (const [provider, r] of Object.entries(perTurn)) {
      console.log(row(`${provider}: SDK direct, per turn (floor)`, r.floor));
      console.log(row(`${provider}: harness, per turn`, r.harness, r.floor));
      console.log(
        `${provider}: added per turn at p50 ${fmtMs(r.harness.p50 - r.floor.p50)}; goal ≤ ${fmtMs(GOAL_ADDED_MS)}`,
      );
    }
    console.log(row('cold: node + one SDK call (floor)', cold.floor));
    console.log(row('cold: paddock-agent one-turn task', cold.harness, cold.floor));
    return {
      rounds: ROUNDS,
      turns: TURNS,
      coldRounds: COLD_ROUNDS,
      goalAddedMsPerTurn: GOAL_ADDED_MS,
      perTurn,
      coldStart: cold,
    };
  } finally {
    await llm.close();
    await oneTurn.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}
