import {
  RUN_ROUTES,
  type RunEventList,
  StoredTranscriptEvent as StoredEventSchema,
} from '@paddock/api';
import {
  type AgentSpec,
  ErrorCode,
  PaddockError,
  type Run,
  type RunMode,
  type RunPhase,
  type StoredTranscriptEvent,
  type TemplateRef,
  TranscriptEventType,
  terminalRunPhases,
} from '@paddock/core';
import type { Caller } from './call.ts';
import type { ResolvedOptions } from './client-options.ts';
import { resumableEventStream } from './event-stream.ts';
import { type ResourceClient, resourceClient, type ScopeOptions } from './resources.ts';
import { type RequestOptions, send } from './transport.ts';

export type RunEventsOptions = ScopeOptions & {
  /** Only events after this `seq` (0, the default: from the start). */
  afterSeq?: number;
  /** At most this many events (1–1000; the server's default otherwise). */
  limit?: number;
};

export type StartRunOptions = ScopeOptions & {
  /** An Agent's name, or an inline AgentSpec. */
  agent: string | AgentSpec;
  prompt: string;
  mode?: RunMode;
  /** The run's name; generated from the agent's name (or `run-`) when absent. */
  name?: string;
  /** An existing sandbox by name, or a new one from this template (the agent's by default). */
  sandbox?: { name: string } | { templateRef: TemplateRef };
};

/** Run CRUD plus its transcript, messages to an interactive run and cancel. */
export type RunClient = ResourceClient<'Run'> & {
  /** Creates a run of an agent (by name or inline); the server names it unless `name` is given. */
  start(options: StartRunOptions): Promise<Run>;
  /** One page of the stored transcript and the run's phase when it was read. */
  events(name: string, options?: RunEventsOptions): Promise<RunEventList>;
  /**
   * The transcript as it is written: stored events after `afterSeq`, then new ones, over SSE.
   * A dropped connection is resumed with `Last-Event-ID` (no event is repeated); the iteration
   * ends once the run has finished and every event was given, or quietly when `signal` aborts.
   * Errors: `not_found` for an unknown run, `runtime_unavailable` after too many drops in a row.
   */
  follow(
    name: string,
    options?: ScopeOptions & { afterSeq?: number },
  ): AsyncIterable<StoredTranscriptEvent>;
  /** Sends a user message to an interactive run (`invalid_transition` when it takes none). */
  send(name: string, text: string, options?: ScopeOptions): Promise<{ id: string }>;
  /** Ends an interactive run's input: the harness finishes and the run succeeds. */
  end(name: string, options?: ScopeOptions): Promise<{ id: string }>;
  /** Cancels a run: it ends `Cancelled` and its harness is stopped. */
  cancel(name: string, options?: ScopeOptions): Promise<Run>;
};

/** Whether a phase is one of a run's five outcomes. */
export function isTerminalRunPhase(phase: string | undefined): phase is RunPhase {
  return terminalRunPhases.includes(phase as RunPhase);
}

const PAGE_LIMIT = 1000;

export function runClient(
  caller: Caller,
  defaultNamespace: string,
  resolved: ResolvedOptions,
): RunClient {
  const crud = resourceClient(caller, 'Run', defaultNamespace);
  const params = (name: string, options: ScopeOptions | undefined) => ({
    namespace: options?.namespace ?? defaultNamespace,
    name,
  });
  const request = (options: RequestOptions | undefined): RequestOptions => ({
    ...(options?.signal && { signal: options.signal }),
    ...(options?.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options?.headers && { headers: options.headers }),
  });

  const events = (name: string, options?: RunEventsOptions) =>
    caller.call('listRunEvents', {
      ...request(options),
      params: params(name, options),
      query: {
        ...(options?.afterSeq !== undefined && { afterSeq: options.afterSeq }),
        ...(options?.limit !== undefined && { limit: options.limit }),
      },
    });

  async function* follow(
    name: string,
    options?: ScopeOptions & { afterSeq?: number },
  ): AsyncGenerator<StoredTranscriptEvent> {
    const signal = options?.signal;
    const route = RUN_ROUTES.events;
    let lastSeq = options?.afterSeq ?? 0;
    let quietEnds = 0;
    // `afterSeq` and `Last-Event-ID` both carry the last event handed out, so a reconnect by the
    // event stream and a fresh stream here resume at the same place.
    const open = () =>
      send(resolved, route, {
        ...request(options),
        params: params(name, options),
        query: { watch: 'true', afterSeq: lastSeq },
        headers: {
          ...options?.headers,
          accept: 'text/event-stream',
          ...(lastSeq > 0 && { 'last-event-id': String(lastSeq) }),
        },
      });
    while (!signal?.aborted) {
      let isFinished = false;
      let isNew = false;
      const stream = resumableEventStream(open, StoredEventSchema, {
        operationId: route.operationId,
        resume: 'on-error',
        reconnect: resolved.reconnect,
        signal,
      });
      for await (const event of stream) {
        if (event.seq <= lastSeq) continue;
        lastSeq = event.seq;
        isNew = true;
        yield event;
        if (event.type === TranscriptEventType.RunFinished) isFinished = true;
      }
      if (isFinished || signal?.aborted) return;
      // The server ended the stream without `run.finished`: the run ended without one, or
      // something between us closed it. The stored events and the phase tell which.
      let page: RunEventList;
      do {
        page = await events(name, { ...options, afterSeq: lastSeq, limit: PAGE_LIMIT });
        for (const event of page.items) {
          if (event.seq <= lastSeq) continue;
          lastSeq = event.seq;
          isNew = true;
          yield event;
        }
      } while (page.items.length === PAGE_LIMIT);
      if (isTerminalRunPhase(page.phase)) return;
      quietEnds = isNew ? 0 : quietEnds + 1;
      if (quietEnds > resolved.reconnect.maxAttempts) {
        throw new PaddockError(
          ErrorCode.RuntimeUnavailable,
          `listRunEvents: the stream of run "${name}" keeps ending while the run is ${page.phase}`,
        );
      }
      const { initialDelayMs, maxDelayMs } = resolved.reconnect;
      await pause(Math.min(maxDelayMs, initialDelayMs * 2 ** quietEnds), signal);
    }
  }

  return {
    ...crud,
    start: (options) => {
      const { agent, prompt, mode, name, sandbox } = options;
      const prefix = typeof agent === 'string' ? `${agent.slice(0, 50)}-` : 'run-';
      return crud.create(
        {
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'Run',
          metadata: name === undefined ? { generateName: prefix } : { name },
          spec: {
            ...(typeof agent === 'string' ? { agentRef: { name: agent } } : { agent }),
            prompt,
            ...(mode !== undefined && { mode }),
            ...(sandbox !== undefined && {
              sandbox:
                'name' in sandbox ? { name: sandbox.name } : { templateRef: sandbox.templateRef },
            }),
          },
        },
        options,
      );
    },
    events,
    follow,
    send: async (name, text, options) => {
      const accepted = await caller.call('sendRunMessage', {
        ...request(options),
        params: params(name, options),
        body: { text },
      });
      return { id: accepted.id };
    },
    end: async (name, options) => {
      const accepted = await caller.call('endRunInput', {
        ...request(options),
        params: params(name, options),
      });
      return { id: accepted.id };
    },
    cancel: (name, options) =>
      caller.call('cancelRun', { ...request(options), params: params(name, options) }),
  };
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
