/**
 * The transcript of a run: what an agent said, which tools it called and what they answered, each
 * model call the gateway forwarded, and how the run ended. Every harness (the built-in one and the
 * external CLIs, whose own streaming JSON is mapped onto it) writes one {@link TranscriptEvent} per
 * line of JSON Lines; the run's event log stores them and numbers them (`seq`) before anyone sees
 * them. The schema is versioned: a reader refuses a `v` it does not know instead of guessing.
 */
import { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';
import { RunUsage } from './run.ts';
import { type FieldIssue, fieldIssues, parseInput } from './validation.ts';

/** The schema version written in every event's `v`. */
export const TRANSCRIPT_VERSION = 1;

export const TranscriptEventType = {
  /** The harness started: which harness, model and mode. */
  RunStarted: 'run.started',
  /** A message from the user: the prompt, or a later message of an interactive run. */
  UserMessage: 'message.user',
  /** A piece of the assistant's text while it streams; the whole text follows in `message.assistant`. */
  AssistantDelta: 'message.delta',
  /** One complete assistant message (one per turn that produced text). */
  AssistantMessage: 'message.assistant',
  /** The model's visible reasoning, when the provider returns it. */
  Thinking: 'thinking',
  /** The model asked for a tool. */
  ToolCall: 'tool.call',
  /** What the tool answered (or the error it raised). */
  ToolResult: 'tool.result',
  /** One model call through the gateway: model, tokens, latency, cost, status. */
  LlmCall: 'llm.call',
  /** Running totals of the run, after each turn. */
  Usage: 'usage',
  /** Anything else worth showing: harness output that maps onto nothing above. */
  Log: 'log',
  /** A failure the harness survived or is about to end on. */
  Error: 'error',
  /** The run ended: the harness's last event (the gateway may still record a call it was serving). */
  RunFinished: 'run.finished',
} as const;
export type TranscriptEventType = (typeof TranscriptEventType)[keyof typeof TranscriptEventType];

/** How a harness says its run ended; the run controller maps it onto a terminal RunPhase. */
export const RunOutcome = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
  /** A limit of the agent's budget stopped it (`limit` names which). */
  BudgetExceeded: 'budget_exceeded',
  TimedOut: 'timed_out',
} as const;
export type RunOutcome = (typeof RunOutcome)[keyof typeof RunOutcome];

/** The budget field that stopped a run. */
export const BudgetLimit = {
  MaxUsd: 'maxUsd',
  MaxTurns: 'maxTurns',
  MaxTokens: 'maxTokens',
  Timeout: 'timeout',
  /** A user's or namespace's daily budget, enforced by the gateway. */
  DailyUsd: 'dailyUsd',
} as const;
export type BudgetLimit = (typeof BudgetLimit)[keyof typeof BudgetLimit];

const common = {
  v: z.literal(TRANSCRIPT_VERSION),
  /** When the event happened (RFC 3339). */
  ts: z.iso.datetime({ offset: true }),
  /** Position in the run's event log, from 1; set by the log when it stores the event. */
  seq: z.int().positive().optional(),
};

const ToolCallId = z.string().min(1).max(256);

export const TranscriptEvent = z.discriminatedUnion('type', [
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.RunStarted),
    harness: z.string().min(1),
    model: z.string().optional(),
    provider: z.string().optional(),
    mode: z.string().optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.UserMessage),
    text: z.string(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.AssistantDelta),
    text: z.string(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.AssistantMessage),
    text: z.string(),
    /** The provider's stop reason for the turn (`end_turn`, `tool_use`, `stop`, `length`, …). */
    stopReason: z.string().optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.Thinking),
    text: z.string(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.ToolCall),
    id: ToolCallId,
    name: z.string().min(1),
    input: z.unknown(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.ToolResult),
    id: ToolCallId,
    name: z.string().min(1),
    /** What the model is shown (already truncated by the harness when long). */
    output: z.string(),
    isError: z.boolean(),
    durationMs: z.number().nonnegative().optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.LlmCall),
    provider: z.string().min(1),
    model: z.string(),
    /** The HTTP status the caller got (the gateway's own refusals included). */
    status: z.int(),
    isStream: z.boolean(),
    inputTokens: z.int().nonnegative(),
    outputTokens: z.int().nonnegative(),
    cacheReadTokens: z.int().nonnegative().optional(),
    cacheWriteTokens: z.int().nonnegative().optional(),
    costUsd: z.number().nonnegative(),
    latencyMs: z.number().nonnegative(),
    /** Why the call failed or was refused, when it did. */
    error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.Usage),
    usage: RunUsage,
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.Log),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
    /** The harness's own event, when it mapped onto nothing else. */
    raw: z.unknown().optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.Error),
    code: z.string().min(1),
    message: z.string(),
  }),
  z.strictObject({
    ...common,
    type: z.literal(TranscriptEventType.RunFinished),
    outcome: z.enum(Object.values(RunOutcome) as [RunOutcome, ...RunOutcome[]]),
    limit: z.enum(Object.values(BudgetLimit) as [BudgetLimit, ...BudgetLimit[]]).optional(),
    /** The final answer of a task. */
    result: z.string().optional(),
    message: z.string().optional(),
    usage: RunUsage,
  }),
]);
export type TranscriptEvent = z.infer<typeof TranscriptEvent>;

/** A transcript event as the run's event log stored it: numbered. */
export type StoredTranscriptEvent = TranscriptEvent & { seq: number };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event without the envelope (`v`, `ts`, `seq`): what a writer fills in. */
export type TranscriptEventInput<T extends TranscriptEventType = TranscriptEventType> =
  DistributiveOmit<Extract<TranscriptEvent, { type: T }>, 'v' | 'ts' | 'seq'>;

/** Stamps an event with the version and a time; `now` is the caller's clock (core reads none). */
export function transcriptEvent<E extends TranscriptEventInput>(
  input: E,
  now: Date,
): Extract<TranscriptEvent, { type: E['type'] }> {
  return { v: TRANSCRIPT_VERSION, ts: now.toISOString(), ...input } as unknown as Extract<
    TranscriptEvent,
    { type: E['type'] }
  >;
}

/**
 * Parses one JSON Lines line of a transcript. Throws `validation_failed` naming the problem:
 * not JSON, an unknown version, an unknown type, or a bad field.
 */
export function parseTranscriptLine(line: string): TranscriptEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new PaddockError(ErrorCode.ValidationFailed, 'transcript line is not JSON', {
      issues: [{ path: '', message: 'not JSON' }],
    });
  }
  if (typeof value === 'object' && value !== null && 'v' in value) {
    const version = (value as { v: unknown }).v;
    if (version !== TRANSCRIPT_VERSION) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `transcript version ${JSON.stringify(version)} is not supported (this reader knows ${TRANSCRIPT_VERSION})`,
        { issues: [{ path: 'v', message: `unsupported version ${JSON.stringify(version)}` }] },
      );
    }
  }
  return parseInput(TranscriptEvent, value, 'transcript event');
}

/**
 * Validates a batch of events (what a `RunEventLog.append` is given): `validation_failed` naming
 * each bad one (`events[2].ts`), or every event parsed.
 */
export function parseTranscriptEvents(events: unknown): TranscriptEvent[] {
  if (!Array.isArray(events)) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'invalid run events: not an array', {
      issues: [{ path: 'events', message: 'must be an array' }],
    });
  }
  const parsed: TranscriptEvent[] = [];
  const issues: FieldIssue[] = [];
  events.forEach((event: unknown, index) => {
    const result = TranscriptEvent.safeParse(event);
    if (result.success) parsed.push(result.data);
    else issues.push(...fieldIssues(result.error, `events[${index}]`));
  });
  if (issues.length > 0) {
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid run events: ${summary}`, {
      issues,
    });
  }
  return parsed;
}

/** Zero usage: where a run's totals start. */
export const EMPTY_USAGE: RunUsage = {
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  turns: 0,
  toolCalls: 0,
};

/** Adds two usages (totals across turns, runs, or harness and gateway views). */
export function addUsage(a: RunUsage, b: RunUsage): RunUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
    turns: a.turns + b.turns,
    toolCalls: a.toolCalls + b.toolCalls,
  };
}
