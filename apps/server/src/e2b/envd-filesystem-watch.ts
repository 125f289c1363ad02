/**
 * Watching a directory of a sandbox without a watch primitive in the SandboxRuntime seam: a
 * `DirPoller` lists the directory (and, when recursive, every directory below it) through the
 * seam's `files.list`, and turns the difference between two listings into envd's filesystem
 * events. What that can and cannot see:
 * - a change shows up one poll later (`WATCH_POLL_MS`, plus the time the listings take);
 * - changes that cancel out between two polls are not seen (a file created and removed at once);
 * - a write is a change of size or modification time; a rename is a removal and a creation of
 *   an entry of the same type, size and time in one poll (RENAME of the old name, CREATE of the
 *   new, as inotify says it); CHMOD is a change of mode alone;
 * - a recursive watch lists at most `WATCH_MAX_DIRECTORIES` directories per poll, and each
 *   sandbox has at most `WATCH_MAX_PER_SANDBOX` watches open at once (`resource_exhausted`).
 */
import { posix } from 'node:path';
import type { FileInfo, SandboxFiles, SandboxRef } from '@paddock/core';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { z } from 'zod';
import { ConnectCode, ConnectError } from './connect.ts';
import { type EntryInfoJson, entryInfo } from './envd-filesystem-entry.ts';

/** How long a watch waits between two listings. */
export const WATCH_POLL_MS = 200;
/** The most directories a recursive watch lists each time. */
export const WATCH_MAX_DIRECTORIES = 256;
/** The most watches (streamed or polled) open on one sandbox at a time. */
export const WATCH_MAX_PER_SANDBOX = 16;

/** `WatchDir` and `CreateWatcher` take the same request. */
export const WatchRequest = z.object({
  path: z.string().default(''),
  recursive: z.boolean().default(false),
  includeEntry: z.boolean().default(false),
  allowNetworkMounts: z.boolean().default(false),
});

export const EventType = {
  Create: 'EVENT_TYPE_CREATE',
  Write: 'EVENT_TYPE_WRITE',
  Remove: 'EVENT_TYPE_REMOVE',
  Rename: 'EVENT_TYPE_RENAME',
  Chmod: 'EVENT_TYPE_CHMOD',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** envd's `FilesystemEvent` in proto3 JSON: `name` is relative to the watched directory. */
export type FilesystemEventJson = { name: string; type: EventType; entry?: EntryInfoJson };

/** Entries by their path relative to the watched directory. */
type Listing = Map<string, FileInfo>;

const openWatches = new Map<string, number>();

/**
 * Counts a watch against its sandbox's limit; the returned function releases it (once).
 * `resource_exhausted` past `WATCH_MAX_PER_SANDBOX`.
 */
export function claimWatch(ref: SandboxRef): () => void {
  const open = openWatches.get(ref.uid) ?? 0;
  if (open >= WATCH_MAX_PER_SANDBOX)
    throw new ConnectError(
      ConnectCode.ResourceExhausted,
      `a sandbox may have at most ${WATCH_MAX_PER_SANDBOX} directory watches open; stop one first`,
    );
  openWatches.set(ref.uid, open + 1);
  let isReleased = false;
  return () => {
    if (isReleased) return;
    isReleased = true;
    const left = (openWatches.get(ref.uid) ?? 1) - 1;
    if (left <= 0) openWatches.delete(ref.uid);
    else openWatches.set(ref.uid, left);
  };
}

/** One watched directory: `start` takes the first listing, each `poll` says what changed since. */
export class DirPoller {
  readonly #files: SandboxFiles;
  readonly #ref: SandboxRef;
  readonly #root: string;
  readonly #isRecursive: boolean;
  readonly #includeEntry: boolean;
  #last: Listing = new Map();

  constructor(
    files: SandboxFiles,
    ref: SandboxRef,
    root: string,
    options: { recursive: boolean; includeEntry: boolean },
  ) {
    this.#files = files;
    this.#ref = ref;
    this.#root = root;
    this.#isRecursive = options.recursive;
    this.#includeEntry = options.includeEntry;
  }

  /** The first listing: `not_found` for a missing directory, `validation_failed` for a file. */
  async start(): Promise<void> {
    this.#last = await this.#list();
  }

  /** The events since the last listing. */
  async poll(): Promise<FilesystemEventJson[]> {
    const next = await this.#list();
    const events = diffListings(this.#last, next, this.#includeEntry);
    this.#last = next;
    return events;
  }

  async #list(): Promise<Listing> {
    const listing: Listing = new Map();
    const pending: string[] = [''];
    let listed = 0;
    while (pending.length > 0) {
      const relative = pending.shift() ?? '';
      if (++listed > WATCH_MAX_DIRECTORIES)
        throw new ConnectError(
          ConnectCode.ResourceExhausted,
          `a recursive watch covers at most ${WATCH_MAX_DIRECTORIES} directories; ${this.#root} has more`,
        );
      let entries: FileInfo[];
      try {
        entries = await this.#files.list(this.#ref, posix.join(this.#root, relative));
      } catch (error) {
        // A subdirectory removed between two listings is the parent's REMOVE, nothing more.
        if (relative !== '' && isPaddockError(error, ErrorCode.NotFound)) continue;
        throw error;
      }
      for (const entry of entries) {
        const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
        listing.set(name, entry);
        if (this.#isRecursive && entry.type === 'directory') pending.push(name);
      }
    }
    return listing;
  }
}

function isSameContent(a: FileInfo, b: FileInfo): boolean {
  return a.type === b.type && a.sizeBytes === b.sizeBytes && a.modifiedAt === b.modifiedAt;
}

/** What changed from one listing to the next, as inotify would have told it. */
export function diffListings(
  before: Listing,
  after: Listing,
  includeEntry: boolean,
): FilesystemEventJson[] {
  const event = (name: string, type: EventType, info?: FileInfo): FilesystemEventJson =>
    includeEntry && info !== undefined ? { name, type, entry: entryInfo(info) } : { name, type };
  const removed = [...before.keys()].filter((name) => !after.has(name)).sort();
  const created = new Set([...after.keys()].filter((name) => !before.has(name)).sort());
  const events: FilesystemEventJson[] = [];
  for (const name of removed) {
    const gone = before.get(name) as FileInfo;
    const renamedTo = [...created].find((c) => isSameContent(gone, after.get(c) as FileInfo));
    events.push(event(name, renamedTo === undefined ? EventType.Remove : EventType.Rename));
    if (renamedTo !== undefined) {
      created.delete(renamedTo);
      events.push(event(renamedTo, EventType.Create, after.get(renamedTo)));
    }
  }
  for (const name of created) {
    const info = after.get(name) as FileInfo;
    events.push(event(name, EventType.Create, info));
    if (info.type === 'file' && info.sizeBytes > 0) events.push(event(name, EventType.Write, info));
  }
  for (const [name, info] of after) {
    const old = before.get(name);
    if (old === undefined) continue;
    // A directory's time changes with its entries, which have their own events.
    if (info.type !== 'directory' && !isSameContent(old, info))
      events.push(event(name, EventType.Write, info));
    else if (old.mode !== info.mode) events.push(event(name, EventType.Chmod, info));
  }
  return events;
}
