import { toEnvelope } from '@paddock/api';
import { isVisible } from '@paddock/control';
import { type Kind, WatchEventType } from '@paddock/core';
import { toPaddockError } from '../http/errors.ts';
import { type Reply, streamed } from '../http/respond.ts';
import { startSse } from '../http/sse.ts';
import type { HandlerCall } from '../server-deps.ts';

type WatchQuery = {
  namespace?: string;
  labelSelector?: string | undefined;
  resourceVersion?: string | undefined;
  /** One object's changes only (`fieldSelector=metadata.name=…`). */
  name?: string | undefined;
};

/**
 * `?watch=true`: a server-sent event stream of watch events, `id:` = resourceVersion. With
 * `Last-Event-ID` (or `?resourceVersion=`) it resumes after that version; without, it first sends
 * every existing object as ADDED (id = the list's version), then the changes. An expired version
 * ends the stream with an `error` event carrying the `expired` envelope (list again). With a
 * `name`, only that object's changes are read and sent.
 */
export async function watchResources(
  call: HandlerCall,
  kind: Kind,
  query: WatchQuery,
): Promise<Reply> {
  const { store } = call.deps.engine;
  const lastEventId = call.req.headers['last-event-id'];
  let from =
    typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : query.resourceVersion;
  const filter = {
    ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
    ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
  };
  const { name } = query;
  const abort = new AbortController();
  const sse = startSse(call.res, call.ctx.requestId, call.deps.shutdown);
  void sse.closed.then(() => abort.abort());
  try {
    if (from === undefined) {
      const page = await store.list(kind, filter);
      for (const object of page.items) {
        if (name !== undefined && object.metadata.name !== name) continue;
        if (isVisible(call.principal, object)) {
          sse.send({ id: page.resourceVersion, data: { type: WatchEventType.Added, object } });
        }
      }
      from = page.resourceVersion;
    }
    for await (const event of store.watch(kind, {
      ...filter,
      ...(name === undefined ? {} : { name }),
      resourceVersion: from,
      signal: abort.signal,
    })) {
      if (!isVisible(call.principal, event.object)) continue;
      sse.send({ id: event.object.metadata.resourceVersion ?? from, data: event });
    }
  } catch (error) {
    if (!abort.signal.aborted) {
      const known = toPaddockError(error, call.ctx.requestId, call.deps.log);
      sse.send({ event: 'error', data: toEnvelope(known, call.ctx.requestId) });
    }
  }
  sse.end();
  return streamed();
}
