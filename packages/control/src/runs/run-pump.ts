/**
 * Feeds a run's transcript: reads the harness's output (JSON Lines on stdout) from where the log's
 * cursor says the last stored event ended, stores each complete line as an event together with the
 * new cursor (so a restart neither loses nor repeats one), and keeps what the reconciler needs
 * to know in memory: running usage, the harness's own outcome, its exit.
 */
import {
  ChangeFeed,
  EMPTY_USAGE,
  type ExitStatus,
  isPaddockError,
  parseTranscriptLine,
  type RunEventLog,
  type RunUsage,
  type SandboxRef,
  type SandboxRuntime,
  type TranscriptEvent,
  TranscriptEventType,
  transcriptEvent,
} from '@paddock/core';

export type RunFinishedEvent = Extract<TranscriptEvent, { type: 'run.finished' }>;

/** What the pump has seen of one run's harness. */
export type PumpState = {
  usage: RunUsage;
  finished?: RunFinishedEvent;
  /** The harness process's exit, once its output has been drained. */
  exit?: ExitStatus;
  /** The last assistant text: the result of a harness that says nothing else. */
  lastText?: string;
  /** Why the pump stopped early (the process is gone, the runtime refused). */
  error?: string;
};

type Pump = { state: PumpState; done: Promise<void>; abort: AbortController };

export type RunPumpsOptions = {
  runtime: SandboxRuntime;
  log: RunEventLog;
  now: () => Date;
  /** Called when something the reconciler acts on changed (usage, outcome, exit). */
  wake: (runKey: string) => void;
  /**
   * Resolves once nothing else in this process is about to append to the run's transcript (the
   * gateway has recorded every model call of the run it serves), or when `signal` aborts. The
   * harness's `run.finished` is stored only after it, so the last `llm.call` comes before it.
   */
  othersWritten?: (runUid: string, signal: AbortSignal) => Promise<void>;
  logLine?: (line: string) => void;
};

/** The longest `run.finished` waits for other writers (a call the gateway never finishes). */
const OTHERS_WRITTEN_TIMEOUT_MS = 30_000;

/** Most bytes of one transcript line; a longer line is cut and stored as a warning. */
const MAX_LINE_BYTES = 4 * 1024 * 1024;

export class RunPumps {
  readonly #pumps = new Map<string, Pump>();
  readonly #options: RunPumpsOptions;
  readonly #feed = new ChangeFeed();

  constructor(options: RunPumpsOptions) {
    this.#options = options;
  }

  /** What the pump of `runUid` has seen, or undefined when none runs. */
  state(runUid: string): PumpState | undefined {
    return this.#pumps.get(runUid)?.state;
  }

  /**
   * Calls `listener` (synchronously) whenever a pump starts, sees something the reconciler acts
   * on, ends (the harness's exit or an error) or is dropped, until the returned function is called.
   */
  subscribe(listener: () => void): () => void {
    return this.#feed.subscribe(listener);
  }

  /** Starts pumping the harness `processId` of run `runUid` unless a pump already runs. */
  ensure(runKey: string, runUid: string, ref: SandboxRef, processId: string): PumpState {
    const existing = this.#pumps.get(runUid);
    if (existing) return existing.state;
    const pump: Pump = {
      state: { usage: EMPTY_USAGE },
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    this.#pumps.set(runUid, pump);
    pump.done = this.#run(runKey, runUid, ref, processId, pump).catch((error: unknown) => {
      pump.state.error = (error as Error).message;
      this.#options.logLine?.(`run ${runKey}: transcript pump: ${(error as Error).message}`);
      this.#changed(runKey);
    });
    this.#feed.notify();
    return pump.state;
  }

  /** Stops pumping (the run is deleted, or the controller stops). */
  async stop(runUid: string): Promise<void> {
    const pump = this.#pumps.get(runUid);
    if (!pump) return;
    pump.abort.abort();
    await pump.done;
    this.#pumps.delete(runUid);
    this.#feed.notify();
  }

  /** Forgets a finished pump so memory does not grow with finished runs. */
  forget(runUid: string): void {
    const pump = this.#pumps.get(runUid);
    if (pump?.state.exit !== undefined || pump?.state.error !== undefined) {
      this.#pumps.delete(runUid);
      this.#feed.notify();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pumps.keys()].map((uid) => this.stop(uid)));
  }

  /** Wakes the run's reconciler and every subscriber. */
  #changed(runKey: string): void {
    this.#options.wake(runKey);
    this.#feed.notify();
  }

  async #run(runKey: string, runUid: string, ref: SandboxRef, processId: string, pump: Pump) {
    const { log, runtime } = this.#options;
    // What was stored before a restart still counts: the totals and the outcome.
    for (let after = 0; ; ) {
      const page = await log.read(runUid, { afterSeq: after, limit: 1000 });
      for (const event of page) this.#observe(pump.state, event);
      if (page.length < 1000) break;
      after = page.at(-1)?.seq ?? after;
    }
    let offset = (await log.cursor(runUid)).sourceOffset;
    let handle: Awaited<ReturnType<SandboxRuntime['attach']>>;
    try {
      handle = await runtime.attach(ref, processId);
    } catch (error) {
      if (isPaddockError(error)) {
        pump.state.error = `the harness process is gone: ${error.message}`;
        this.#changed(runKey);
        return;
      }
      throw error;
    }
    void handle.stderr.cancel().catch(() => {});
    const reader = handle.stdout.getReader();
    const onAbort = () => void reader.cancel().catch(() => {});
    pump.abort.signal.addEventListener('abort', onAbort, { once: true });
    let skip = offset;
    let pending = Buffer.alloc(0);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || pump.abort.signal.aborted) break;
        let chunk = Buffer.from(value);
        if (skip > 0) {
          const dropped = Math.min(skip, chunk.length);
          chunk = chunk.subarray(dropped);
          skip -= dropped;
        }
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        const events: TranscriptEvent[] = [];
        let end = pending.indexOf(0x0a);
        let consumed = 0;
        while (end !== -1) {
          const line = pending.subarray(consumed, end).toString('utf8');
          consumed = end + 1;
          if (line.trim() !== '') events.push(this.#parse(line));
          end = pending.indexOf(0x0a, consumed);
        }
        if (consumed === 0 && pending.length > MAX_LINE_BYTES) {
          events.push(this.#parse(pending.toString('utf8', 0, 200)));
          consumed = pending.length;
        }
        if (events.length === 0) continue;
        if (events.some((event) => event.type === TranscriptEventType.RunFinished)) {
          await this.#othersWritten(runKey, runUid, pump.abort.signal);
        }
        offset += consumed;
        pending = pending.subarray(consumed);
        const stored = await log.append(runUid, events, { sourceOffset: offset });
        let isNotable = false;
        for (const event of stored) isNotable = this.#observe(pump.state, event) || isNotable;
        if (isNotable) this.#changed(runKey);
      }
    } finally {
      pump.abort.signal.removeEventListener('abort', onAbort);
    }
    if (pump.abort.signal.aborted) return;
    pump.state.exit = await handle.exit;
    this.#changed(runKey);
  }

  /** Waits for the run's other writers (bounded, so a stuck one cannot hold the outcome back). */
  async #othersWritten(runKey: string, runUid: string, signal: AbortSignal): Promise<void> {
    const wait = this.#options.othersWritten;
    if (wait === undefined) return;
    const timeout = AbortSignal.timeout(OTHERS_WRITTEN_TIMEOUT_MS);
    await wait(runUid, AbortSignal.any([signal, timeout]));
    if (timeout.aborted && !signal.aborted) {
      this.#options.logLine?.(
        `run ${runKey}: a model call was still in flight ${OTHERS_WRITTEN_TIMEOUT_MS} ms after run.finished`,
      );
    }
  }

  /** A line that is not a transcript event is kept as a warning, never dropped. */
  #parse(line: string): TranscriptEvent {
    try {
      return parseTranscriptLine(line);
    } catch {
      return transcriptEvent(
        { type: TranscriptEventType.Log, level: 'warn', message: line.slice(0, 64 * 1024) },
        this.#options.now(),
      );
    }
  }

  /** Folds an event into the state; true when the reconciler should look. */
  #observe(state: PumpState, event: TranscriptEvent): boolean {
    switch (event.type) {
      case TranscriptEventType.Usage:
        state.usage = event.usage;
        return true;
      case TranscriptEventType.AssistantMessage:
        state.lastText = event.text;
        return false;
      case TranscriptEventType.RunFinished:
        state.usage = event.usage;
        state.finished = event;
        return true;
      default:
        return false;
    }
  }
}
