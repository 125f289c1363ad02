/** Tools over runs: list, start, status, events since a cursor, messages, cancel. */
import { isTerminalRunPhase, type PaddockClient } from '@paddock/client';
import {
  type Run,
  RunMode,
  RunPhase,
  type StoredTranscriptEvent,
  TranscriptEventType,
} from '@paddock/core';
import { z } from 'zod';
import {
  defineTool,
  NamespaceInput,
  type PaddockTool,
  READ_ONLY,
  scopeOf,
  type ToolContext,
} from '../tool.ts';
import { optional } from './optional-fields.ts';
import { Paging, paging } from './paging.ts';

const Usage = z.object({
  inputTokens: z.int(),
  outputTokens: z.int(),
  costUsd: z.number(),
  turns: z.int(),
  toolCalls: z.int(),
});

const RunSummary = z.object({
  namespace: z.string(),
  name: z.string(),
  agent: z.string().describe('The agent\'s name, or "(inline)"'),
  mode: z.string().describe('task or interactive'),
  phase: z
    .string()
    .describe(
      'Pending, Starting, Running, Succeeded, Failed, Cancelled, BudgetExceeded or TimedOut',
    ),
  isFinished: z.boolean().describe('Whether the phase is an outcome (no further change)'),
  reason: z.string().optional(),
  message: z.string().optional(),
  sandbox: z.string().optional().describe('The sandbox the run works in'),
  createdAt: z.string().optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  usage: Usage.optional().describe('Tokens, cost in USD, turns and tool calls so far'),
  result: z.string().optional().describe("The task's final answer, once Succeeded"),
  exitCode: z.int().optional(),
});

function summarizeRun(run: Run): z.input<typeof RunSummary> {
  const status = run.status;
  const phase = status?.phase ?? RunPhase.Pending;
  return {
    namespace: run.metadata.namespace ?? 'default',
    name: run.metadata.name ?? '',
    agent: run.spec.agentRef?.name ?? '(inline)',
    mode: run.spec.mode,
    phase,
    isFinished: isTerminalRunPhase(phase),
    ...optional('reason', status?.reason),
    ...optional('message', status?.message),
    ...optional('sandbox', status?.sandboxName),
    ...optional('createdAt', run.metadata.creationTimestamp),
    ...optional('startedAt', status?.startedAt),
    ...optional('completedAt', status?.completedAt),
    ...optional('usage', status?.usage),
    ...optional('result', status?.result?.text),
    ...optional('exitCode', status?.result?.exitCode),
  };
}

/** Whether run_start stops waiting: the harness runs, or the run already has its outcome. */
const hasStarted = (run: Run) =>
  run.status?.phase === RunPhase.Running || isTerminalRunPhase(run.status?.phase);

/**
 * Follows a run until it is Running or finished, reporting each phase as progress; after
 * `timeoutMs` the run as it is then (a model polls run_status from there).
 */
async function untilStarted(
  client: PaddockClient,
  created: Run,
  timeoutMs: number,
  { signal, progress }: ToolContext,
): Promise<Run> {
  const name = created.metadata.name ?? '';
  const namespace = scopeOf(created.metadata.namespace);
  let current = created;
  let step = 0;
  let reported: string | undefined;
  const report = async (run: Run) => {
    const phase = run.status?.phase ?? RunPhase.Pending;
    if (phase === reported) return;
    reported = phase;
    await progress(++step, undefined, `run ${name}: ${phase}`);
  };
  await report(current);
  if (hasStarted(current)) return current;
  const stop = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const version = created.metadata.resourceVersion;
  try {
    const changes = client.runs.watch({
      ...namespace,
      signal: stop,
      ...(version === undefined ? {} : { resourceVersion: version }),
    });
    for await (const change of changes) {
      if (change.object.metadata.name !== name || change.type === 'DELETED') continue;
      current = change.object;
      await report(current);
      if (hasStarted(current)) return current;
    }
  } catch (error) {
    signal.throwIfAborted();
    if (!stop.aborted) throw error;
  }
  signal.throwIfAborted();
  return client.runs.get(name, { ...namespace, signal });
}

const TranscriptEventOut = z.looseObject({
  seq: z.int(),
  type: z.string(),
  ts: z.string(),
});

/** Longest text of one transcript field a model is given; the rest is cut with a note. */
const MAX_FIELD_CHARS = 4000;

function clip(value: unknown): unknown {
  if (typeof value !== 'string' || value.length <= MAX_FIELD_CHARS) return value;
  return `${value.slice(0, MAX_FIELD_CHARS)}… [${value.length - MAX_FIELD_CHARS} more characters]`;
}

/** An event for a model: its fields as stored, long texts cut, the version dropped. */
function presentEvent(event: StoredTranscriptEvent): z.input<typeof TranscriptEventOut> {
  const { v: _v, seq, type, ts, ...rest } = event;
  const fields = Object.entries(rest).map(([key, value]) => [key, clip(value)]);
  return { seq, type, ts, ...Object.fromEntries(fields) };
}

export const runTools: PaddockTool[] = [
  defineTool({
    name: 'run_list',
    title: 'List runs',
    description:
      'Lists the runs you can see with their agent, phase, usage and cost. Use it to find a run to follow or to see what is still going on. Returns up to `limit` runs and a `continue` token when there are more.',
    input: z.object({
      namespace: NamespaceInput,
      agent: z.string().min(1).optional().describe("Only this agent's runs (within this page)"),
      ...Paging,
    }),
    output: z.object({ items: z.array(RunSummary), continue: z.string().optional() }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const list = await client.runs.list({
        ...scopeOf(input.namespace),
        ...paging(input),
        signal,
      });
      return {
        items: list.items
          .filter((run) => input.agent === undefined || run.spec.agentRef?.name === input.agent)
          .map(summarizeRun),
        ...optional('continue', list.metadata.continue),
      };
    },
  }),
  defineTool({
    name: 'run_start',
    title: 'Start a run',
    description:
      'Gives a task to an agent: creates a Run with the prompt, in a new sandbox from the agent\'s template (or an existing sandbox, or a new one from another template), then waits until the harness is Running or the run already finished, reporting each phase as progress. mode "interactive" keeps the run open for run_send_message. Returns the run\'s status; follow it with run_events (cursor 0 first) and run_status. A refusal by policy is `policy_violation` with every violation.',
    input: z.object({
      agent: z.string().min(1).describe("An agent's name (see agent_list)"),
      prompt: z.string().min(1).describe('The task, or the first message of an interactive run'),
      namespace: NamespaceInput,
      mode: z.enum([RunMode.Task, RunMode.Interactive]).optional().describe('task (the default)'),
      name: z.string().min(1).optional().describe("The run's name; generated when absent"),
      sandbox: z.string().min(1).optional().describe('Run in this existing sandbox'),
      template: z
        .object({ name: z.string().min(1), cluster: z.boolean().optional() })
        .optional()
        .describe("Run in a new sandbox from this template instead of the agent's"),
      waitSeconds: z
        .int()
        .min(0)
        .max(600)
        .optional()
        .describe('How long to wait for Running (default 120; 0 returns at once)'),
    }),
    output: RunSummary,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    handle: async (input, context) => {
      const { client, signal } = context;
      const { template } = input;
      const run = await client.runs.start({
        agent: input.agent,
        prompt: input.prompt,
        ...scopeOf(input.namespace),
        ...optional('mode', input.mode),
        ...optional('name', input.name),
        ...optional(
          'sandbox',
          input.sandbox !== undefined
            ? { name: input.sandbox }
            : template && {
                templateRef: {
                  kind: template.cluster ? 'ClusterSandboxTemplate' : 'SandboxTemplate',
                  name: template.name,
                } as const,
              },
        ),
        signal,
      });
      const waitMs = (input.waitSeconds ?? 120) * 1000;
      return summarizeRun(waitMs > 0 ? await untilStarted(client, run, waitMs, context) : run);
    },
  }),
  defineTool({
    name: 'run_status',
    title: 'Run status',
    description:
      "Tells a run's phase, why it ended when it did not succeed (reason, message), its usage so far (tokens, cost in USD, turns, tool calls), its sandbox and, once Succeeded, the final answer. Use it to check on a run; run_events gives what it did.",
    input: z.object({ name: z.string().min(1), namespace: NamespaceInput }),
    output: RunSummary,
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) =>
      summarizeRun(await client.runs.get(input.name, { ...scopeOf(input.namespace), signal })),
  }),
  defineTool({
    name: 'run_events',
    title: 'Run events',
    description:
      "Reads a run's transcript after a cursor: the prompt and messages, assistant text, tool calls and results, model calls, usage, errors and run.finished, each numbered by `seq`. Start with `after: 0`, then pass the `nextCursor` you got back to read only what is new. With `waitSeconds`, waits that long for a new event when there is none yet. Long texts are cut. `isFinished` tells that the run has ended and every event was read.",
    input: z.object({
      name: z.string().min(1),
      namespace: NamespaceInput,
      after: z.int().min(0).optional().describe('The cursor: events with a larger seq (0 = all)'),
      limit: z.int().min(1).max(1000).optional().describe('At most this many events (default 200)'),
      waitSeconds: z.int().min(0).max(60).optional().describe('Wait for a new event (default 0)'),
      includeDeltas: z
        .boolean()
        .optional()
        .describe('Also the streaming pieces of assistant text (message.delta); off by default'),
    }),
    output: z.object({
      events: z.array(TranscriptEventOut),
      nextCursor: z.int().describe('Pass as `after` to read what follows'),
      phase: z.string().describe("The run's phase when the events were read"),
      isFinished: z.boolean(),
      hasMore: z.boolean().describe('More events are stored already: call again at once'),
    }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const after = input.after ?? 0;
      const limit = input.limit ?? 200;
      const options = { ...scopeOf(input.namespace), afterSeq: after, limit, signal };
      let page = await client.runs.events(input.name, options);
      const waitMs = (input.waitSeconds ?? 0) * 1000;
      if (page.items.length === 0 && waitMs > 0 && !isTerminalRunPhase(page.phase)) {
        const stop = AbortSignal.any([signal, AbortSignal.timeout(waitMs)]);
        const stream = client.runs.follow(input.name, {
          ...scopeOf(input.namespace),
          afterSeq: after,
          signal: stop,
        });
        for await (const _event of stream) break;
        signal.throwIfAborted();
        page = await client.runs.events(input.name, options);
      }
      const nextCursor = page.items.at(-1)?.seq ?? after;
      const hasMore = page.items.length === limit;
      return {
        events: page.items
          .filter((e) => input.includeDeltas || e.type !== TranscriptEventType.AssistantDelta)
          .map(presentEvent),
        nextCursor,
        phase: page.phase,
        isFinished: isTerminalRunPhase(page.phase) && !hasMore,
        hasMore,
      };
    },
  }),
  defineTool({
    name: 'run_send_message',
    title: 'Send a message to a run',
    description:
      'Sends a user message to a Running interactive run (started with mode "interactive"); the agent answers in its transcript (read it with run_events). With `endInput: true` (and no text, or after the text) the run\'s input ends: the agent finishes and the run succeeds. `invalid_transition` when the run takes no messages (a task run, or not Running).',
    input: z
      .object({
        name: z.string().min(1),
        namespace: NamespaceInput,
        text: z.string().min(1).optional(),
        endInput: z.boolean().optional().describe('End the conversation after this message'),
      })
      .refine((input) => input.text !== undefined || input.endInput === true, {
        message: 'give a text, or endInput: true',
        path: ['text'],
      }),
    output: z.object({
      accepted: z.boolean(),
      messageId: z.string().optional(),
      ended: z.boolean(),
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    handle: async (input, { client, signal }) => {
      const options = { ...scopeOf(input.namespace), signal };
      const sent =
        input.text === undefined
          ? undefined
          : await client.runs.send(input.name, input.text, options);
      if (input.endInput) await client.runs.end(input.name, options);
      return { accepted: true, ...optional('messageId', sent?.id), ended: input.endInput === true };
    },
  }),
  defineTool({
    name: 'run_cancel',
    title: 'Cancel a run',
    description:
      "Cancels a run: it ends Cancelled and its agent is stopped (its sandbox stays for inspection). Use it when a run is stuck, going the wrong way or no longer needed. Returns the run's status.",
    input: z.object({ name: z.string().min(1), namespace: NamespaceInput }),
    output: RunSummary,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    handle: async (input, { client, signal }) =>
      summarizeRun(await client.runs.cancel(input.name, { ...scopeOf(input.namespace), signal })),
  }),
];
