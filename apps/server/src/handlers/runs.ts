import { randomUUID } from 'node:crypto';
import { RUN_ROUTES } from '@paddock/api';
import {
  CANCEL_REQUESTED_ANNOTATION,
  RUN_INBOX_DIR,
  requireVisibleObject,
  runtimeRefOf,
  usableSandbox,
} from '@paddock/control';
import {
  ChangeFeed,
  ErrorCode,
  isTerminalRunPhase,
  PaddockError,
  type Run,
  RunMode,
  RunPhase,
  TranscriptEventType,
} from '@paddock/core';
import { json, streamed } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import { startSse } from '../http/sse.ts';
import type { HandlerCall } from '../server-deps.ts';
import { runSettled } from './run-settled.ts';
import { updateRetrying } from './update-retrying.ts';

async function visibleRun(
  call: HandlerCall,
  params: { namespace: string; name: string },
): Promise<Run> {
  const run = await call.deps.engine.store.get('Run', params);
  requireVisibleObject(call.principal, run);
  return run;
}

const phaseOf = (run: Run) => run.status?.phase ?? RunPhase.Pending;

/**
 * Puts one input line into a Running interactive run's inbox (a file per line in the sandbox,
 * written under a dot name and renamed, so the harness never reads half of one).
 */
async function deliver(
  call: HandlerCall,
  params: { namespace: string; name: string },
  line: { type: 'message'; text: string } | { type: 'end' },
): Promise<string> {
  const run = await visibleRun(call, params);
  if (run.spec.mode !== RunMode.Interactive) {
    throw new PaddockError(ErrorCode.InvalidTransition, `run ${params.name} is not interactive`, {
      phase: phaseOf(run),
    });
  }
  if (phaseOf(run) !== RunPhase.Running || !run.status?.sandboxName) {
    throw new PaddockError(
      ErrorCode.InvalidTransition,
      `run ${params.name} is ${phaseOf(run)}, not Running`,
      { phase: phaseOf(run) },
    );
  }
  // Input lands in the run's sandbox: only while the caller may still use it (a user taken off
  // `sharedWith` no longer reaches it through a run of theirs either).
  const sandbox = await usableSandbox(call.deps.engine.store, call.principal, {
    namespace: params.namespace,
    name: run.status.sandboxName,
  });
  const id = `${Date.now().toString().padStart(15, '0')}-${randomUUID()}`;
  const ref = runtimeRefOf(sandbox);
  const { files } = call.deps.engine.runtime;
  await files.write(
    ref,
    `${RUN_INBOX_DIR}/.${id}`,
    new TextEncoder().encode(`${JSON.stringify(line)}\n`),
  );
  await files.move(ref, `${RUN_INBOX_DIR}/.${id}`, `${RUN_INBOX_DIR}/${id}.json`);
  return id;
}

/**
 * A run's transcript, its messages and cancel. The transcript stream sends every stored event
 * after `Last-Event-ID` (or `afterSeq`), then each new one as soon as it is stored (pushed by
 * the log, never polled), and ends right after the last one once the run is settled (see
 * `runSettled`).
 */
export const runHandlers: RouteHandler[] = [
  on(RUN_ROUTES.events, async (call, { params, query }) => {
    const run = await visibleRun(call, params);
    const { runLog, store } = call.deps.engine;
    const uid = run.metadata.uid ?? '';
    if (query.watch !== 'true') {
      const items = await runLog.read(uid, {
        afterSeq: query.afterSeq ?? 0,
        limit: query.limit ?? 1000,
      });
      return json({ items, phase: phaseOf(run) });
    }
    // An id the stream sent is a decimal seq; anything else (`1e3`, `0x10`, …) resumes nothing.
    const raw = call.req.headers['last-event-id'];
    const header = typeof raw === 'string' ? raw.trim() : '';
    const after = /^\d{1,15}$/.test(header) ? Number(header) : (query.afterSeq ?? 0);
    const sse = startSse(call.res, call.ctx.requestId, call.deps.shutdown);
    const abort = new AbortController();
    void sse.closed.then(() => abort.abort());
    let sent = after;
    let isFinishedSent = false;
    const progress = new ChangeFeed();
    // The stream ends once the run is settled: an outcome, nothing still writing its transcript
    // (the harness's output drained, the gateway's last call recorded), every event sent.
    void runSettled({
      store,
      runLog,
      writers: call.deps.engine.runWriters,
      run,
      sent: () => sent,
      isFinishedSent: () => isFinishedSent,
      subscribeSent: (listener) => progress.subscribe(listener),
      signal: abort.signal,
    })
      .catch((error: unknown) => call.deps.log(`run ${uid} event stream: ${String(error)}`))
      .finally(() => abort.abort());
    try {
      for await (const event of runLog.follow(uid, after, abort.signal)) {
        sse.send({ id: String(event.seq), event: event.type, data: event });
        sent = event.seq;
        isFinishedSent = event.type === TranscriptEventType.RunFinished;
        progress.notify();
      }
    } finally {
      abort.abort();
      sse.end();
    }
    return streamed();
  }),

  on(RUN_ROUTES.message, async (call, { params, body }) => {
    const id = await deliver(call, params, { type: 'message', text: body.text });
    return json({ accepted: true as const, id }, 202);
  }),

  on(RUN_ROUTES.end, async (call, { params }) => {
    const id = await deliver(call, params, { type: 'end' });
    return json({ accepted: true as const, id }, 202);
  }),

  on(RUN_ROUTES.cancel, async (call, { params }) => {
    // The run's controller writes its status meanwhile: a conflict is read again, not an error.
    const updated = await updateRetrying(
      async () => {
        const run = await visibleRun(call, params);
        if (isTerminalRunPhase(phaseOf(run))) {
          throw new PaddockError(
            ErrorCode.InvalidTransition,
            `run ${params.name} already ended ${phaseOf(run)}`,
            { phase: phaseOf(run) },
          );
        }
        return run;
      },
      (run) =>
        call.deps.engine.store.update({
          ...run,
          metadata: {
            ...run.metadata,
            annotations: {
              ...run.metadata.annotations,
              [CANCEL_REQUESTED_ANNOTATION]: new Date().toISOString(),
            },
          },
        }),
    );
    return json(updated);
  }),
];
