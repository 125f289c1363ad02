// Agent and run tools through the MCP SDK client, against a real `paddock up` whose gateway
// forwards to a scripted Anthropic-compatible model.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import {
  bwrapSkipReason,
  eventually,
  type RecordedRequest,
  type ScriptedLlm,
  type ScriptedTurn,
  startScriptedLlm,
} from '@paddock/testkit';
import { type McpWorld, startMcpWorld } from './test-support.ts';
import { toolErrorOf } from './tool.ts';

const PROVIDER_KEY = 'sk-ant-mcp-run-tools-test-key';

type Event = { seq: number; type: string; text?: string };
type EventsPage = {
  events: Event[];
  nextCursor: number;
  phase: string;
  isFinished: boolean;
  hasMore: boolean;
};
type RunOut = {
  name: string;
  agent: string;
  mode: string;
  phase: string;
  isFinished: boolean;
  result?: string;
  usage?: { turns: number; costUsd: number };
};
type ToolResult = Awaited<ReturnType<Client['callTool']>>;

/** Every user text the model was sent, in order (the Anthropic messages of the request). */
function userTexts(request: RecordedRequest): string[] {
  const { messages } = request.body as { messages: Array<{ role: string; content: unknown }> };
  return messages
    .filter((m) => m.role === 'user')
    .flatMap((m) =>
      typeof m.content === 'string'
        ? [m.content]
        : (m.content as Array<{ type: string; text?: string }>)
            .filter((block) => block.type === 'text')
            .map((block) => block.text ?? ''),
    );
}

/** The model's answer, chosen by the run's prompt. */
function answer(request: RecordedRequest): ScriptedTurn {
  const texts = userTexts(request);
  const first = texts[0] ?? '';
  if (first.includes('hang')) return { isHanging: true };
  if (first.includes('chat')) return { text: `echo: ${texts.at(-1)}` };
  return { text: 'Hello from the scripted model.' };
}

const structured = <T>(result: ToolResult) => result.structuredContent as T;

function errorCode(result: ToolResult): string | undefined {
  assert.equal(result.isError, true, JSON.stringify(result.structuredContent));
  return toolErrorOf(result)?.code;
}

function ok<T>(result: ToolResult): T {
  assert.notEqual(result.isError, true, JSON.stringify(result.content));
  return structured<T>(result);
}

describe('agent and run tools through the MCP SDK client', {
  skip: bwrapSkipReason(),
  timeout: 240_000,
}, () => {
  let llm: ScriptedLlm;
  let w: McpWorld;
  let alice: Client;
  let bob: Client;

  const call = (client: Client, name: string, args: Record<string, unknown>) =>
    client.callTool({ name, arguments: args }, undefined, { timeout: 150_000 });

  /** Reads the transcript from cursor 0 until the run has finished, as a model would poll. */
  async function readToEnd(client: Client, run: string): Promise<EventsPage & { all: Event[] }> {
    const all: Event[] = [];
    let cursor = 0;
    for (;;) {
      const page = ok<EventsPage>(
        await call(client, 'run_events', { name: run, after: cursor, waitSeconds: 5 }),
      );
      all.push(...page.events);
      assert.ok(page.nextCursor >= cursor, 'the cursor never goes back');
      cursor = page.nextCursor;
      if (page.isFinished) return { ...page, all };
    }
  }

  before(async () => {
    llm = await startScriptedLlm({ requireKey: PROVIDER_KEY, script: answer });
    w = await startMcpWorld({
      env: { PADDOCK_ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: PROVIDER_KEY },
    });
    alice = await w.connect(w.alice);
    bob = await w.connect(w.bob);
  });
  after(async () => {
    await w?.close();
    await llm?.close();
  });

  it('creates, lists and describes agents; another user sees none of them', async () => {
    const created = ok<{ name: string; harness: string; model: string; budget: unknown }>(
      await call(alice, 'agent_create', {
        name: 'helper',
        harness: 'builtin',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        systemPrompt: 'Be brief.',
        budget: { maxUsd: 2, maxTurns: 5 },
      }),
    );
    assert.equal(created.harness, 'builtin');
    assert.deepEqual(created.budget, { maxUsd: 2, maxTurns: 5 });

    const again = await call(alice, 'agent_create', { name: 'helper', harness: 'builtin' });
    assert.equal(errorCode(again), 'already_exists');

    const list = ok<{ items: Array<{ name: string; model?: string }> }>(
      await call(alice, 'agent_list', {}),
    );
    assert.deepEqual(
      list.items.map((a) => [a.name, a.model]),
      [['helper', 'claude-sonnet-4-5']],
    );
    const got = ok<{ systemPrompt?: string }>(await call(alice, 'agent_get', { name: 'helper' }));
    assert.equal(got.systemPrompt, 'Be brief.');

    assert.deepEqual(ok<{ items: unknown[] }>(await call(bob, 'agent_list', {})).items, []);
    assert.equal(errorCode(await call(bob, 'agent_get', { name: 'helper' })), 'not_found');
  });

  it('starts a task run with progress, follows its events by cursor and reads its outcome', async () => {
    const progress: Progress[] = [];
    const started = await alice.callTool(
      { name: 'run_start', arguments: { agent: 'helper', prompt: 'say hello', name: 'hello' } },
      undefined,
      { timeout: 150_000, onprogress: (p) => progress.push(p) },
    );
    const run = ok<RunOut>(started);
    assert.equal(run.name, 'hello');
    assert.equal(run.agent, 'helper');
    assert.ok(['Running', 'Succeeded'].includes(run.phase), run.phase);
    assert.ok(progress.length >= 1, 'at least one progress notification');
    assert.match(progress[0]?.message ?? '', /^run hello: /);

    const { all, phase, nextCursor } = await readToEnd(alice, 'hello');
    assert.equal(phase, 'Succeeded');
    const types = all.map((e) => e.type);
    assert.equal(types[0], 'run.started');
    assert.ok(types.includes('run.finished'));
    assert.ok(!types.includes('message.delta'), 'streaming pieces are left out by default');
    assert.equal(all.find((e) => e.type === 'message.user')?.text, 'say hello');
    assert.equal(
      all.find((e) => e.type === 'message.assistant')?.text,
      'Hello from the scripted model.',
    );
    const seqs = all.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    assert.equal(new Set(seqs).size, seqs.length, 'no event twice across pages');

    const rest = ok<EventsPage>(
      await call(alice, 'run_events', { name: 'hello', after: nextCursor }),
    );
    assert.deepEqual(rest.events, []);
    assert.equal(rest.nextCursor, nextCursor);

    const status = ok<RunOut>(await call(alice, 'run_status', { name: 'hello' }));
    assert.equal(status.phase, 'Succeeded');
    assert.equal(status.isFinished, true);
    assert.equal(status.result, 'Hello from the scripted model.');
    assert.equal(status.usage?.turns, 1);

    const listed = ok<{ items: RunOut[] }>(await call(alice, 'run_list', { agent: 'helper' }));
    assert.ok(listed.items.some((r) => r.name === 'hello'));
    assert.deepEqual(
      ok<{ items: unknown[] }>(await call(alice, 'run_list', { agent: 'someone-else' })).items,
      [],
    );

    type Report = {
      total: { runs: number; costUsd: number; calls: number };
      groups?: Array<{ key: string; usage: { runs: number } }>;
      days: Array<{ day: string; usage: { calls: number } }>;
    };
    const spent = ok<Report>(await call(alice, 'usage', {}));
    assert.equal(spent.total.runs, 1);
    assert.ok(spent.total.costUsd > 0, 'the gateway metered the model call');
    assert.equal(ok<Report>(await call(bob, 'usage', {})).total.runs, 0, "not another user's");
    const root = await w.connect(w.admin);
    const byUser = ok<Report>(await call(root, 'usage', { groupBy: 'user' }));
    assert.equal(byUser.groups?.find((g) => g.key === 'alice')?.usage.runs, 1);
    const alices = ok<Report>(await call(root, 'usage', { user: 'alice' }));
    assert.equal(alices.total.runs, 1);
    assert.ok(alices.total.calls > 0);
    assert.equal(alices.days.at(-1)?.usage.calls, alices.total.calls);
    assert.equal(ok<Report>(await call(root, 'usage', { user: 'bob' })).total.calls, 0);

    const message = await call(alice, 'run_send_message', { name: 'hello', text: 'more?' });
    assert.equal(errorCode(message), 'invalid_transition');
  });

  it("refuses another user's runs and agents as not_found", async () => {
    for (const [tool, args] of [
      ['run_status', { name: 'hello' }],
      ['run_events', { name: 'hello' }],
      ['run_send_message', { name: 'hello', text: 'hi' }],
      ['run_cancel', { name: 'hello' }],
      ['run_start', { agent: 'helper', prompt: 'say hello' }],
    ] as const) {
      assert.equal(errorCode(await call(bob, tool, args)), 'not_found', tool);
    }
    assert.deepEqual(ok<{ items: unknown[] }>(await call(bob, 'run_list', {})).items, []);
  });

  it('holds a conversation with an interactive run, then ends its input', async () => {
    const run = ok<RunOut>(
      await call(alice, 'run_start', {
        agent: 'helper',
        prompt: 'chat with me',
        mode: 'interactive',
        name: 'chat',
      }),
    );
    assert.equal(run.mode, 'interactive');
    assert.equal(run.phase, 'Running');

    let cursor = 0;
    const waitFor = async (text: string) => {
      await eventually(
        async () => {
          const page = ok<EventsPage>(
            await call(alice, 'run_events', { name: 'chat', after: cursor, waitSeconds: 5 }),
          );
          cursor = page.nextCursor;
          assert.ok(
            page.events.some((e) => e.type === 'message.assistant' && e.text === text),
            `no "${text}" yet: ${JSON.stringify(page)}`,
          );
          return true;
        },
        { timeoutMs: 60_000, what: `the answer "${text}"` },
      );
    };
    await waitFor('echo: chat with me');

    const sent = ok<{ accepted: boolean; messageId?: string; ended: boolean }>(
      await call(alice, 'run_send_message', { name: 'chat', text: 'second' }),
    );
    assert.equal(sent.accepted, true);
    assert.ok(sent.messageId);
    assert.equal(sent.ended, false);
    await waitFor('echo: second');

    const ended = ok<{ ended: boolean }>(
      await call(alice, 'run_send_message', { name: 'chat', endInput: true }),
    );
    assert.equal(ended.ended, true);
    const { phase } = await readToEnd(alice, 'chat');
    assert.equal(phase, 'Succeeded');

    const empty = await call(alice, 'run_send_message', { name: 'chat' });
    assert.equal(empty.isError, true, 'neither text nor endInput is refused');
  });

  it('cancels a running run', async () => {
    const run = ok<RunOut>(
      await call(alice, 'run_start', { agent: 'helper', prompt: 'hang on', name: 'stuck' }),
    );
    assert.equal(run.phase, 'Running');
    const cancelled = ok<RunOut>(await call(alice, 'run_cancel', { name: 'stuck' }));
    assert.equal(cancelled.name, 'stuck');
    await eventually(
      async () => {
        const status = ok<RunOut>(await call(alice, 'run_status', { name: 'stuck' }));
        assert.equal(status.phase, 'Cancelled', JSON.stringify(status));
        return true;
      },
      { timeoutMs: 60_000, what: 'the run cancelled' },
    );
  });
});
