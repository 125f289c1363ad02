import { SANDBOX_ROUTES } from '@paddock/api';
import { usableSandbox } from '@paddock/control';
import {
  ErrorCode,
  type EventQuery,
  MAX_EVENT_PAGE,
  PaddockError,
  type RecordedEvent,
} from '@paddock/core';
import { json, streamed } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import { startSse } from '../http/sse.ts';

/** `continue` on the wire: the base64url `seq` of the last event of the previous page. */
function decodeSeq(token: string): number {
  const seq = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'invalid continue token', {
      issues: [{ path: 'query.continue', message: 'is not a token from a previous page' }],
    });
  }
  return seq;
}

/**
 * The sandbox's events from the engine's event log, oldest first: those of this incarnation
 * (its uid), so a sandbox re-created under an old name does not inherit the old timeline.
 * Watches follow the log (each event is pushed as its record commits) and resume from
 * `Last-Event-ID`, the `seq` of the last event received.
 */
export const eventHandlers: RouteHandler[] = [
  on(SANDBOX_ROUTES.events, async (call, { params, query }) => {
    const sandbox = await usableSandbox(call.deps.engine.store, call.principal, params);
    const { events } = call.deps.engine;
    const filter: EventQuery = {
      kind: 'Sandbox',
      namespace: params.namespace,
      name: params.name,
      ...(sandbox.metadata.uid === undefined ? {} : { uid: sandbox.metadata.uid }),
    };
    const wire = ({ seq: _, ...e }: RecordedEvent) => ({
      ...e,
      namespace: e.namespace ?? params.namespace,
      uid: e.uid ?? '',
    });
    if (!query.watch) {
      const page = await events.query({
        ...filter,
        limit: query.limit ?? MAX_EVENT_PAGE,
        ...(query.continue === undefined ? {} : { continue: decodeSeq(query.continue) }),
      });
      const next = page.continue;
      const metadata = {
        resourceVersion: '0',
        ...(next === undefined
          ? {}
          : { continue: Buffer.from(String(next)).toString('base64url') }),
      };
      return json({ kind: 'EventList', metadata, items: page.items.map(wire) });
    }
    const sse = startSse(call.res, call.ctx.requestId, call.deps.shutdown);
    const lastId = Number(call.req.headers['last-event-id'] ?? 0);
    const after = Number.isSafeInteger(lastId) && lastId > 0 ? lastId : 0;
    const abort = new AbortController();
    void sse.closed.then(() => abort.abort());
    try {
      for await (const event of events.follow({ ...filter, continue: after }, abort.signal)) {
        sse.send({ id: String(event.seq), data: wire(event) });
      }
    } finally {
      abort.abort();
      sse.end();
    }
    return streamed();
  }),
];
