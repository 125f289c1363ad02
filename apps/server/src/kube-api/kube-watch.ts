/**
 * `watch=true` as the Kubernetes API streams it: one JSON object per line (`{type, object}`) on
 * the store's push watch. Without a resourceVersion (or "0") the existing objects come first as
 * ADDED; with one, the changes after it. `allowWatchBookmarks` adds BOOKMARK events (after the
 * initial events and every `bookmarkIntervalMs`); a version the store no longer keeps ends the
 * stream with an ERROR event carrying a 410 Expired Status (list again).
 */
import type { ServerResponse } from 'node:http';
import { isVisible } from '@paddock/control';
import { type AnyResource, API_VERSION, type Kind } from '@paddock/core';
import { toPaddockError } from '../http/errors.ts';
import type { HandlerCall } from '../server-deps.ts';
import { type FieldRequirement, matchesFields } from './field-selector.ts';
import { kubeStatusOf } from './kube-status.ts';

export type WatchRequest = {
  kind: Kind;
  namespace: string | undefined;
  labelSelector: string | undefined;
  fields: FieldRequirement[];
  resourceVersion: string | undefined;
  isBookmarkAllowed: boolean;
  /** `sendInitialEvents=true` (client-go's watch-list): the objects first, then a bookmark saying so. */
  isInitialEventsAsked: boolean;
  timeoutMs: number | undefined;
  /** Shapes each object as the client asked (the object, or a one-row Table). */
  present: (object: AnyResource) => unknown;
};

/** How often an idle watch that allows bookmarks gets one. */
export const BOOKMARK_INTERVAL_MS = 15_000;

function writeLine(res: ServerResponse, event: unknown): void {
  if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(event)}\n`);
}

export async function serveWatch(call: HandlerCall, request: WatchRequest): Promise<void> {
  const { store } = call.deps.engine;
  const { kind, fields, present } = request;
  const res = call.res;
  res.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-request-id': call.ctx.requestId,
  });
  res.flushHeaders();
  const abort = new AbortController();
  const end = () => abort.abort();
  res.once('close', end);
  call.deps.shutdown.addEventListener('abort', end, { once: true });
  const timer =
    request.timeoutMs === undefined ? undefined : setTimeout(end, request.timeoutMs).unref();
  const filter = {
    ...(request.namespace === undefined ? {} : { namespace: request.namespace }),
    ...(request.labelSelector === undefined ? {} : { labelSelector: request.labelSelector }),
  };
  const shows = (object: AnyResource) =>
    isVisible(call.principal, object) && matchesFields(object, fields);
  let lastVersion = request.resourceVersion;
  const bookmark = (isInitialEnd = false) => {
    if (request.isBookmarkAllowed && lastVersion !== undefined) {
      const metadata = {
        resourceVersion: lastVersion,
        ...(isInitialEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}),
      };
      writeLine(res, { type: 'BOOKMARK', object: { kind, apiVersion: API_VERSION, metadata } });
    }
  };
  const bookmarks = setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS).unref();
  try {
    const isFromNow = lastVersion === undefined || lastVersion === '' || lastVersion === '0';
    if (isFromNow || request.isInitialEventsAsked) {
      const page = await store.list(kind, filter);
      for (const object of page.items) {
        if (shows(object)) writeLine(res, { type: 'ADDED', object: present(object) });
      }
      lastVersion = page.resourceVersion;
      bookmark(request.isInitialEventsAsked);
    }
    for await (const event of store.watch(kind, {
      ...filter,
      ...(lastVersion === undefined ? {} : { resourceVersion: lastVersion }),
      signal: abort.signal,
    })) {
      lastVersion = event.object.metadata.resourceVersion ?? lastVersion;
      if (shows(event.object)) writeLine(res, { type: event.type, object: present(event.object) });
    }
  } catch (error) {
    if (!abort.signal.aborted) {
      const known = toPaddockError(error, call.ctx.requestId, call.deps.log);
      writeLine(res, { type: 'ERROR', object: kubeStatusOf(known).body });
    }
  } finally {
    clearInterval(bookmarks);
    if (timer !== undefined) clearTimeout(timer);
    call.deps.shutdown.removeEventListener('abort', end);
    res.off('close', end);
    if (!res.writableEnded) res.end();
  }
}
