import { constants, statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * The sync primitive of a group commit: `sync()` resolves once everything written to the
 * database's write-ahead log before the call is durable (survives power loss); `close()` releases
 * what it holds. Tests inject a fake (a slow or counting one) through the stores' `walSync`.
 */
export type WalSync = { sync(): Promise<void>; close(): Promise<void> };

/** Makes the `WalSync` of the WAL file at `walPath` (`<database>-wal`). */
export type WalSyncFactory = (walPath: string) => WalSync;

/**
 * The default `WalSync`: `fdatasync` of the `-wal` file through an fd kept open, on libuv's
 * thread pool (off the event loop). Before each sync the path is checked against the fd's inode
 * and reopened if the file was replaced; each (re)open also syncs the directory, so a newly
 * created WAL's directory entry is durable too. A missing WAL has nothing to sync: SQLite deletes
 * it only after checkpointing it into the database and syncing that.
 */
export function fileWalSync(walPath: string): WalSync {
  let handle: FileHandle | undefined;
  let inode: number | undefined;
  const reopen = async (ino: number): Promise<FileHandle> => {
    await handle?.close();
    handle = undefined;
    const opened = await open(walPath, constants.O_RDWR);
    if ((await opened.stat()).ino !== ino) {
      // Replaced again between the stat and the open: the next sync looks once more.
      inode = undefined;
    } else inode = ino;
    handle = opened;
    const directory = await open(dirname(walPath), constants.O_RDONLY);
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return opened;
  };
  return {
    async sync() {
      try {
        // A stat is microseconds (cached metadata): on the event loop, saving a thread-pool trip.
        const ino = statSync(walPath, { throwIfNoEntry: false })?.ino;
        if (ino === undefined) return;
        const current = handle !== undefined && inode === ino ? handle : await reopen(ino);
        await current.datasync();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}

const noSync: WalSync = { sync: async () => {}, close: async () => {} };

/**
 * Group commit: many commits, one sync. `durable()` resolves once a sync that STARTED after the
 * call has completed, so a commit that calls it after COMMIT is durable when it resolves. At most
 * one sync runs at a time and at most one waits behind it: every commit made while a sync runs
 * shares the next one. A failed sync rejects every commit waiting on it.
 */
export class GroupCommit {
  readonly #walSync: WalSync;
  #running: Promise<void> | undefined;
  #runningIndex = 0;
  #next: Promise<void> | undefined;
  #syncs = 0;
  /** The index (1, 2, …) of the last sync that succeeded. */
  #synced = 0;

  constructor(walSync: WalSync) {
    this.#walSync = walSync;
  }

  /** Resolves after a sync that began after this call; rejects if that sync fails. */
  durable(): Promise<void> {
    if (this.#next !== undefined) return this.#next;
    const running = this.#running;
    if (running === undefined) return this.#start();
    const settled = () => {};
    this.#next = running.then(settled, settled).then(() => {
      this.#next = undefined;
      return this.#start();
    });
    return this.#next;
  }

  /**
   * Resolves once a sync that began after `mark` syncs had begun has succeeded: a commit that read
   * `syncs` right after it committed is durable then. Unlike `durable`, a sync another writer
   * began since serves too: at once when one has succeeded, after the running one when it began
   * after the mark, else after a new one (`durable`).
   */
  durableAfter(mark: number): Promise<void> {
    if (this.#synced > mark) return Promise.resolve();
    if (this.#running !== undefined && this.#runningIndex > mark) return this.#running;
    return this.durable();
  }

  /** Syncs begun so far: a commit's mark for `durableAfter` (and for tests, which count them). */
  get syncs(): number {
    return this.#syncs;
  }

  /** Waits for the syncs in progress, then releases the file. */
  async close(): Promise<void> {
    const settled = () => {};
    await (this.#next ?? this.#running)?.then(settled, settled);
    await this.#walSync.close();
  }

  #start(): Promise<void> {
    this.#syncs += 1;
    const index = this.#syncs;
    const running: Promise<void> = this.#walSync
      .sync()
      .then(() => {
        this.#synced = index;
      })
      .finally(() => {
        if (this.#running === running) this.#running = undefined;
      });
    this.#running = running;
    this.#runningIndex = index;
    return running;
  }
}

type Shared = { group: GroupCommit; users: number };
const shared = new Map<string, Shared>();

/**
 * The group commit of the database at `databasePath`, shared by every connection of this process
 * to that file (so a store, its logs and its ledger share syncs), until each has released it.
 * `:memory:` databases have no file and never sync; an injected `walSync` gets a group of its own.
 */
export function acquireGroupCommit(
  databasePath: string,
  walSync?: WalSyncFactory,
): { group: GroupCommit; release(): void } {
  if (databasePath === ':memory:') return { group: new GroupCommit(noSync), release: () => {} };
  const walPath = `${resolve(databasePath)}-wal`;
  if (walSync !== undefined) {
    const group = new GroupCommit(walSync(walPath));
    return { group, release: () => void group.close().catch(() => {}) };
  }
  let entry = shared.get(walPath);
  if (entry === undefined) {
    entry = { group: new GroupCommit(fileWalSync(walPath)), users: 0 };
    shared.set(walPath, entry);
  }
  entry.users += 1;
  const held = entry;
  let isReleased = false;
  return {
    group: held.group,
    release: () => {
      if (isReleased) return;
      isReleased = true;
      held.users -= 1;
      if (held.users > 0) return;
      if (shared.get(walPath) === held) shared.delete(walPath);
      // A sync still running finishes first; a failure has already reached its writers.
      void held.group.close().catch(() => {});
    },
  };
}
