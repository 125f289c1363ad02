import { SANDBOX_ROUTES } from '@paddock/api';
import { json, streamed } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import { startSse } from '../http/sse.ts';
import { pageOf } from './paging.ts';
import { visibleSandbox } from './sandbox-access.ts';

/** How often `events?watch=true` looks for new events (the recorder has no subscription). */
const EVENT_POLL_MS = 250;

export const eventHandlers: RouteHandler[] = [
  on(SANDBOX_ROUTES.events, async (call, { params, query }) => {
    await visibleSandbox(call, params);
    const { events } = call.deps.engine;
    const filter = { kind: 'Sandbox', namespace: params.namespace, name: params.name };
    const wire = (e: ReturnType<typeof events.list>[number]) => ({
      ...e,
      namespace: e.namespace ?? params.namespace,
      uid: e.uid ?? '',
    });
    if (!query.watch) {
      const page = pageOf(events.list(filter).map(wire), query.limit, query.continue);
      return json({ kind: 'EventList', ...page });
    }
    const sse = startSse(call.res, call.ctx.requestId, call.deps.shutdown);
    const lastId = Number(call.req.headers['last-event-id'] ?? 0);
    let sent = Number.isInteger(lastId) && lastId > 0 ? lastId : 0;
    let isOpen = true;
    void sse.closed.then(() => {
      isOpen = false;
    });
    while (isOpen) {
      const all = events.list(filter);
      for (; sent < all.length; sent++) {
        const event = all[sent];
        if (event !== undefined) sse.send({ id: String(sent + 1), data: wire(event) });
      }
      await new Promise((resolve) => setTimeout(resolve, EVENT_POLL_MS));
    }
    sse.end();
    return streamed();
  }),
];
