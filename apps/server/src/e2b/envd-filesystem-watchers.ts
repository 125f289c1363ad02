/**
 * envd's polled watches (`CreateWatcher`, `GetWatcherEvents`, `RemoveWatcher`), which E2B's
 * synchronous Python SDK uses instead of the `WatchDir` stream: a watcher polls its directory in
 * the background (see envd-filesystem-watch.ts for what polling sees) and keeps the events until
 * they are fetched. A watcher nobody fetched from for `WATCHER_IDLE_MS` is removed; one that
 * holds `WATCHER_MAX_EVENTS` unread events stops with `resource_exhausted`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConnectCode, ConnectError } from './connect.ts';
import type { EnvdRpc } from './e2b-call.ts';
import { callPath, parseMessage } from './envd-filesystem-entry.ts';
import {
  claimWatch,
  DirPoller,
  type FilesystemEventJson,
  WATCH_POLL_MS,
  WatchRequest,
} from './envd-filesystem-watch.ts';

export const WATCHER_IDLE_MS = 60_000;
export const WATCHER_MAX_EVENTS = 10_000;

type Watcher = {
  sandboxUid: string;
  poller: DirPoller;
  events: FilesystemEventJson[];
  /** Why polling stopped; answered to the next fetch, which removes the watcher. */
  failure?: unknown;
  lastFetchAt: number;
  timer?: NodeJS.Timeout;
  release(): void;
};

const watchers = new Map<string, Watcher>();

const WatcherIdRequest = z.object({ watcherId: z.string().min(1) });

function removeWatcher(id: string): void {
  const watcher = watchers.get(id);
  if (watcher === undefined) return;
  clearTimeout(watcher.timer);
  watcher.release();
  watchers.delete(id);
}

function schedule(id: string, watcher: Watcher): void {
  // Unreferenced: an open watcher never keeps the server's process alive.
  watcher.timer = setTimeout(async () => {
    if (!watchers.has(id)) return;
    if (Date.now() - watcher.lastFetchAt > WATCHER_IDLE_MS) {
      removeWatcher(id);
      return;
    }
    try {
      watcher.events.push(...(await watcher.poller.poll()));
      if (watcher.events.length > WATCHER_MAX_EVENTS)
        throw new ConnectError(
          ConnectCode.ResourceExhausted,
          `more than ${WATCHER_MAX_EVENTS} events were not fetched; the watcher stopped`,
        );
    } catch (error) {
      watcher.failure = error;
      watcher.release();
      return;
    }
    if (watchers.has(id)) schedule(id, watcher);
  }, WATCH_POLL_MS).unref();
}

function watcherOf(sandboxUid: string, message: Record<string, unknown>): [string, Watcher] {
  const { watcherId } = parseMessage(WatcherIdRequest, message);
  const watcher = watchers.get(watcherId);
  if (watcher === undefined || watcher.sandboxUid !== sandboxUid)
    throw new ConnectError(ConnectCode.NotFound, `watcher ${watcherId} not found`);
  return [watcherId, watcher];
}

export const WATCHER_RPCS: Readonly<Record<string, EnvdRpc>> = {
  'filesystem.Filesystem/CreateWatcher': {
    kind: 'unary',
    handle: async (call, message) => {
      const request = parseMessage(WatchRequest, message);
      const path = callPath(call, request.path);
      const release = claimWatch(call.ref);
      try {
        const poller = new DirPoller(call.deps.engine.runtime.files, call.ref, path, request);
        await poller.start();
        const id = randomUUID();
        const watcher: Watcher = {
          sandboxUid: call.ref.uid,
          poller,
          events: [],
          lastFetchAt: Date.now(),
          release,
        };
        watchers.set(id, watcher);
        schedule(id, watcher);
        return { watcherId: id };
      } catch (error) {
        release();
        throw error;
      }
    },
  },
  'filesystem.Filesystem/GetWatcherEvents': {
    kind: 'unary',
    handle: async (call, message) => {
      const [id, watcher] = watcherOf(call.ref.uid, message);
      watcher.lastFetchAt = Date.now();
      const events = watcher.events.splice(0);
      if (events.length === 0 && watcher.failure !== undefined) {
        removeWatcher(id);
        throw watcher.failure;
      }
      return { events };
    },
  },
  'filesystem.Filesystem/RemoveWatcher': {
    kind: 'unary',
    handle: async (call, message) => {
      const [id] = watcherOf(call.ref.uid, message);
      removeWatcher(id);
      return {};
    },
  },
};
