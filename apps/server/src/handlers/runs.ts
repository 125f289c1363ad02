import { randomUUID } from 'node:crypto';
import { RUN_ROUTES } from '@paddock/api';
import {
  CANCEL_REQUESTED_ANNOTATION,
  RUN_INBOX_DIR,
  requireVisibleObject,
  runtimeRefOf,
} from '@paddock/control';
import {
  ErrorCode,
  isTerminalRunPhase,
  PaddockError,
  type Run,
  RunMode,
  RunPhase,
} from '@paddock/core';
import { json, streamed } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import { startSse } from '../http/sse.ts';
import type { HandlerCall } from '../server-deps.ts';

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
  const sandbox = await call.deps.engine.store.get('Sandbox', {
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
 * after `Last-Event-ID` (or `afterSeq`), then each new one as the pump stores it, and ends once
 * the run has an outcome and its harness's last events are in.
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
    const header = Number(call.req.headers['last-event-id'] ?? Number.NaN);
    const after = Number.isSafeInteger(header) && header >= 0 ? header : (query.afterSeq ?? 0);
    const sse = startSse(call.res, call.ctx.requestId, call.deps.shutdown);
    const abort = new AbortController();
    void sse.closed.then(() => abort.abort());
    // The stream ends once the run is finished and no harness output is still being stored.
    // Settled: an outcome, the harness's output all stored and sent, and one more quiet poll, so
    // the gateway's record of a call that ended with the run (it lands just after) is sent too.
    const endWhenSettled = async () => {
      let quietPolls = 0;
      while (!abort.signal.aborted) {
        const current = await store.get('Run', params).catch(() => undefined);
        if (current === undefined || current.metadata.uid !== uid) break;
        let isSettled = false;
        if (isTerminalRunPhase(phaseOf(current)) && (await runLog.lastSeq(uid)) === sent) {
          const pump = call.deps.engine.runs.pumpState(uid);
          isSettled = pump === undefined || pump.exit !== undefined || pump.error !== undefined;
        }
        quietPolls = isSettled ? quietPolls + 1 : 0;
        if (quietPolls > 1) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      abort.abort();
    };
    let sent = after;
    void endWhenSettled();
    try {
      for await (const event of runLog.follow(uid, after, abort.signal)) {
        sse.send({ id: String(event.seq), event: event.type, data: event });
        sent = event.seq;
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
    const run = await visibleRun(call, params);
    if (isTerminalRunPhase(phaseOf(run))) {
      throw new PaddockError(
        ErrorCode.InvalidTransition,
        `run ${params.name} already ended ${phaseOf(run)}`,
        { phase: phaseOf(run) },
      );
    }
    const updated = await call.deps.engine.store.update({
      ...run,
      metadata: {
        ...run.metadata,
        annotations: {
          ...run.metadata.annotations,
          [CANCEL_REQUESTED_ANNOTATION]: new Date().toISOString(),
        },
      },
    });
    return json(updated);
  }),
];
