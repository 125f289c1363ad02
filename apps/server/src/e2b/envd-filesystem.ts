/**
 * envd's `filesystem.Filesystem` service: stat, list, mkdir, move, remove and directory watches,
 * all through the SandboxRuntime seam's `files` (never the sandbox's files on the host). Paths
 * resolve as envd's do (relative to `/home/user`); the seam keeps them inside the sandbox's
 * writable roots (`path_outside_sandbox` → `permission_denied`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, type FileInfo, isPaddockError } from '@paddock/core';
import { z } from 'zod';
import { ConnectCode, ConnectError, type ConnectStream } from './connect.ts';
import type { EnvdCall, EnvdRpc } from './e2b-call.ts';
import {
  callPath,
  type EntryInfoJson,
  entryInfo,
  parseMessage,
  requireSandboxUser,
  resolveEnvdPath,
  statEntry,
} from './envd-filesystem-entry.ts';
import { claimWatch, DirPoller, WATCH_POLL_MS, WatchRequest } from './envd-filesystem-watch.ts';
import { WATCHER_RPCS } from './envd-filesystem-watchers.ts';

/** The most entries one `ListDir` answers with (`resource_exhausted` past it). */
export const LIST_MAX_ENTRIES = 50_000;

const PathRequest = z.object({ path: z.string().default('') });
const ListDirRequest = z.object({
  path: z.string().default(''),
  depth: z.number().int().min(0).default(0),
});
const MoveRequest = z.object({ source: z.string(), destination: z.string() });

/** Bytes-order comparison, as envd's (Go's) directory walk sorts names. */
const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Runs at most `limit` of the functions given to it at once (listings are processes). */
function limiter(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finished task hands its slot to the next waiting one, so `running` never passes `limit`.
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next === undefined) running--;
      else next();
    }
  };
}

/** The entries below `dir`, `depth` levels deep, in the order of a sorted walk. */
async function walk(call: EnvdCall, dir: string, depth: number): Promise<EntryInfoJson[]> {
  const { files } = call.deps.engine.runtime;
  const limit = limiter(8);
  let count = 0;
  const visit = async (path: string, levelsLeft: number, isTop: boolean) => {
    let entries: FileInfo[];
    try {
      entries = await limit(() => files.list(call.ref, path));
    } catch (error) {
      // A subdirectory gone or unreadable meanwhile is left out, as a walk skips it.
      if (!isTop && isPaddockError(error)) return [];
      throw error;
    }
    count += entries.length;
    if (count > LIST_MAX_ENTRIES)
      throw new ConnectError(
        ConnectCode.ResourceExhausted,
        `more than ${LIST_MAX_ENTRIES} entries; list with a smaller depth`,
      );
    entries.sort(byName);
    const below: EntryInfoJson[][] = await Promise.all(
      entries.map((entry) =>
        levelsLeft > 1 && entry.type === 'directory'
          ? visit(entry.path, levelsLeft - 1, false)
          : Promise.resolve([]),
      ),
    );
    return entries.flatMap((entry, i) => [entryInfo(entry), ...(below[i] ?? [])]);
  };
  return visit(dir, depth, true);
}

async function listDir(call: EnvdCall, message: Record<string, unknown>) {
  const request = parseMessage(ListDirRequest, message);
  const path = callPath(call, request.path);
  return { entries: await walk(call, path, Math.max(1, request.depth)) };
}

async function makeDir(call: EnvdCall, message: Record<string, unknown>) {
  const path = callPath(call, parseMessage(PathRequest, message).path);
  const { files } = call.deps.engine.runtime;
  const existing = await files.stat(call.ref, path).catch((error: unknown) => {
    if (isPaddockError(error, ErrorCode.NotFound)) return undefined;
    throw error;
  });
  if (existing !== undefined)
    throw existing.type === 'directory'
      ? new ConnectError(ConnectCode.AlreadyExists, `directory ${path} already exists`)
      : new ConnectError(
          ConnectCode.InvalidArgument,
          `${path} already exists and is not a directory`,
        );
  await files.mkdir(call.ref, path);
  return { entry: await statEntry(call, path) };
}

async function move(call: EnvdCall, message: Record<string, unknown>) {
  const request = parseMessage(MoveRequest, message);
  requireSandboxUser(call.user);
  const source = resolveEnvdPath(request.source);
  const destination = resolveEnvdPath(request.destination);
  call.ctx.audit.details = { from: source, to: destination };
  await call.deps.engine.runtime.files.move(call.ref, source, destination);
  return { entry: await statEntry(call, destination) };
}

async function remove(call: EnvdCall, message: Record<string, unknown>) {
  const path = callPath(call, parseMessage(PathRequest, message).path);
  try {
    await call.deps.engine.runtime.files.remove(call.ref, path, { recursive: true });
  } catch (error) {
    // envd removes like `rm -rf`: a path that is not there is already removed.
    if (!isPaddockError(error, ErrorCode.NotFound)) throw error;
  }
  return {};
}

/** The keep-alive interval the SDK asks for (`Keepalive-Ping-Interval`, seconds), bounded. */
function keepaliveMs(call: EnvdCall): number {
  const asked = Number(call.req.headers['keepalive-ping-interval']);
  const seconds = Number.isFinite(asked) && asked > 0 ? Math.min(Math.max(asked, 1), 300) : 50;
  return seconds * 1000;
}

/** When the call's Connect deadline (`Connect-Timeout-Ms`) passes, if it has one. */
function deadlineOf(call: EnvdCall): number | undefined {
  const timeoutMs = Number(call.req.headers['connect-timeout-ms']);
  return Number.isFinite(timeoutMs) && timeoutMs > 0 ? Date.now() + timeoutMs : undefined;
}

/** `WatchDirResponse` inlines its oneof: `{start: {}}`, `{filesystem: …}`, `{keepalive: {}}`. */
async function watchDir(
  call: EnvdCall,
  message: Record<string, unknown>,
  stream: ConnectStream,
): Promise<void> {
  const request = parseMessage(WatchRequest, message);
  const path = callPath(call, request.path);
  const release = claimWatch(call.ref);
  try {
    const poller = new DirPoller(call.deps.engine.runtime.files, call.ref, path, request);
    await poller.start();
    await stream.send({ start: {} });
    const deadline = deadlineOf(call);
    const pingMs = keepaliveMs(call);
    let lastSentAt = Date.now();
    while (!stream.closed.aborted) {
      try {
        await sleep(WATCH_POLL_MS, undefined, { signal: stream.closed });
      } catch {
        return;
      }
      if (deadline !== undefined && Date.now() >= deadline)
        throw new ConnectError(ConnectCode.DeadlineExceeded, 'the watch reached its timeout');
      for (const event of await poller.poll()) {
        await stream.send({ filesystem: event });
        lastSentAt = Date.now();
      }
      if (Date.now() - lastSentAt >= pingMs) {
        await stream.send({ keepalive: {} });
        lastSentAt = Date.now();
      }
    }
  } finally {
    release();
  }
}

const unary = (
  handle: (call: EnvdCall, message: Record<string, unknown>) => Promise<unknown>,
  action?: string,
): EnvdRpc => ({ kind: 'unary', handle, ...(action === undefined ? {} : { action }) });

export const FILESYSTEM_RPCS: Readonly<Record<string, EnvdRpc>> = {
  'filesystem.Filesystem/Stat': unary(async (call, message) => ({
    entry: await statEntry(call, callPath(call, parseMessage(PathRequest, message).path)),
  })),
  'filesystem.Filesystem/ListDir': unary(listDir),
  'filesystem.Filesystem/MakeDir': unary(makeDir, 'sandbox.files.mkdir'),
  'filesystem.Filesystem/Move': unary(move, 'sandbox.files.move'),
  'filesystem.Filesystem/Remove': unary(remove, 'sandbox.files.delete'),
  'filesystem.Filesystem/WatchDir': { kind: 'stream', handle: watchDir },
  ...WATCHER_RPCS,
};
