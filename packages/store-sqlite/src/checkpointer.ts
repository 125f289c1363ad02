import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PaddockError } from '@paddock/core';
import { z } from 'zod';
import { freeBytesAt } from './disk-reserve.ts';
import { toPaddockError } from './errors.ts';

/** Checkpoint once the WAL holds this many frames (pages) not yet in the database: SQLite's own. */
export const DEFAULT_CHECKPOINT_PAGES = 1000;

/** Checkpoints run at once, one after another, to copy what was committed while one ran. */
const MAX_CATCH_UPS = 3;

const WORKER_URL = new URL('./checkpoint-worker.ts', import.meta.url);

const CheckpointReply = z.union([
  z.object({ busy: z.int(), log: z.int(), checkpointed: z.int() }),
  z.object({
    error: z.object({
      message: z.string(),
      errcode: z.int().optional(),
      code: z.string().optional(),
    }),
  }),
]);
type CheckpointReply = z.infer<typeof CheckpointReply>;
type CheckpointMode = 'PASSIVE' | 'TRUNCATE';

// The WAL-index header at the start of the `-shm` file (https://sqlite.org/walformat.html), in
// native byte order: `mxFrame`, the WAL's last valid frame, and `nBackfill`, the frames already
// copied into the database.
const WAL_INDEX_HEADER_BYTES = 136;
const MX_FRAME_OFFSET = 16;
const N_BACKFILL_OFFSET = 96;

/**
 * Copies the write-ahead log into the database file off the event loop. Connections that write
 * turn SQLite's automatic checkpoint off (`wal_autocheckpoint = 0`: it would run inside a COMMIT,
 * writing and syncing the database file on the event loop) and call `noteCommit` after each
 * commit; once the WAL holds `pages` frames not yet in the database, a PASSIVE checkpoint runs on
 * a connection of its own in a worker thread. A PASSIVE checkpoint never waits for a lock: what
 * readers or another checkpoint (another process's) hold back is retried once `pages` more frames
 * have come. A failure (a full disk, the worker dying) loses nothing, the frames stay in the WAL,
 * and is retried the same way with a new worker. SQLite syncs the WAL before copying and the
 * database after, before the WAL can be reused, so durability is the group commit's alone.
 * At most one checkpoint runs at a time; `close` waits for it, then checkpoints what is left.
 */
export class Checkpointer {
  readonly #databasePath: string;
  readonly #busyTimeoutMs: number;
  readonly #pages: number;
  readonly #workerUrl: URL;
  readonly #header = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  #walIndexFd: number | undefined;
  #worker: Worker | undefined;
  #running: Promise<void> | undefined;
  /** Frames a checkpoint could not copy (held back by readers): not counted towards the next. */
  #heldBack = 0;
  #checkpoints = 0;
  #failures = 0;
  #lastFailure: PaddockError | undefined;
  #closed: Promise<void> | undefined;

  constructor(
    databasePath: string,
    options: { busyTimeoutMs: number; pages?: number | undefined; workerUrl?: URL },
  ) {
    this.#databasePath = resolve(databasePath);
    this.#busyTimeoutMs = options.busyTimeoutMs;
    this.#pages = options.pages ?? DEFAULT_CHECKPOINT_PAGES;
    this.#workerUrl = options.workerUrl ?? WORKER_URL;
  }

  /** After a commit to the file: starts a checkpoint when the WAL has grown enough. */
  noteCommit(): void {
    if (this.#running !== undefined || this.#closed !== undefined) return;
    const pending = this.pendingFrames();
    // Fewer than were held back: the WAL was reset, or someone else checkpointed it.
    if (pending < this.#heldBack) this.#heldBack = 0;
    if (pending >= this.#heldBack + this.#pages) this.#start(0);
  }

  /**
   * Frames in the WAL not yet copied into the database, from the WAL index (read without its
   * lock: a torn read only moves a checkpoint by a commit). 0 while there is no WAL index.
   */
  pendingFrames(): number {
    const { mxFrame, nBackfill } = this.#walIndexHeader();
    return Math.max(0, mxFrame - nBackfill);
  }

  #walIndexHeader(): { mxFrame: number; nBackfill: number } {
    try {
      this.#walIndexFd ??= openSync(`${this.#databasePath}-shm`, 'r');
      const read = readSync(this.#walIndexFd, this.#header, 0, WAL_INDEX_HEADER_BYTES, 0);
      if (read < WAL_INDEX_HEADER_BYTES) return { mxFrame: 0, nBackfill: 0 };
    } catch {
      return { mxFrame: 0, nBackfill: 0 };
    }
    const isLittleEndian = endianness() === 'LE';
    const at = (offset: number) =>
      isLittleEndian ? this.#header.readUInt32LE(offset) : this.#header.readUInt32BE(offset);
    return { mxFrame: at(MX_FRAME_OFFSET), nBackfill: at(N_BACKFILL_OFFSET) };
  }

  /** Checkpoints that ran to the end (copying all, or what readers allowed). */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  /** Checkpoints that failed (their frames stay in the WAL for the next one). */
  get failures(): number {
    return this.#failures;
  }

  /** Why the last failed checkpoint failed, as a Paddock error (`insufficient_storage`, …). */
  get lastFailure(): PaddockError | undefined {
    return this.#lastFailure;
  }

  /** Resolves once no checkpoint is running (for tests). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /**
   * Waits for a running checkpoint, checkpoints what is left (TRUNCATE: the database file is
   * complete and the WAL empty, unless another connection reads or writes it still), and stops
   * the worker. With no worker started yet (a short-lived store: nothing needed one),
   * `checkpointHere` runs that last checkpoint on the closing connection instead: starting a
   * worker thread for it cost about 100 ms of CPU, where a close may well hold the event loop for
   * the few milliseconds the copy takes. Never rejects; idempotent.
   */
  close(checkpointHere?: () => void): Promise<void> {
    this.#closed ??= (async () => {
      await this.idle();
      if (this.#worker === undefined && checkpointHere !== undefined) {
        try {
          if (this.pendingFrames() > 0) {
            checkpointHere();
            this.#checkpoints += 1;
          }
        } catch (error) {
          // The frames stay in the WAL, where the next open finds them.
          this.#fail(error);
        }
      } else if (this.pendingFrames() > 0 || this.#worker !== undefined) {
        await this.#checkpoint('TRUNCATE', true);
      }
      await this.#worker?.terminate();
      this.#worker = undefined;
      const fd = this.#walIndexFd;
      this.#walIndexFd = undefined;
      if (fd !== undefined) closeSync(fd);
    })().catch(() => {});
    return this.#closed;
  }

  /** A PASSIVE checkpoint, the `catchUps`th in a row. */
  #start(catchUps: number): void {
    const running: Promise<void> = this.#checkpoint('PASSIVE', false).then((hasCopied) => {
      if (this.#running === running) this.#running = undefined;
      // SQLite restarts the WAL from its start only when a writer finds every frame copied: what
      // was committed while a checkpoint ran (or held back by a write in progress) would keep it
      // growing, so it is copied at once too.
      if (!hasCopied || this.#closed !== undefined || this.pendingFrames() === 0) return;
      if (catchUps < MAX_CATCH_UPS) this.#start(catchUps + 1);
      else this.#heldBack = 0;
    });
    this.#running = running;
  }

  /**
   * One checkpoint in the worker: whether it copied any frame. Never rejects: a failure is
   * counted and kept, and what it left is retried once `pages` more frames have come.
   */
  async #checkpoint(mode: CheckpointMode, isFinal: boolean): Promise<boolean> {
    const before = this.#walIndexHeader();
    const pendingBefore = Math.max(0, before.mxFrame - before.nBackfill);
    this.#heldBack = pendingBefore;
    let reply: CheckpointReply;
    try {
      reply = await this.#request(mode, isFinal);
    } catch (error) {
      this.#fail(error);
      void this.#worker?.terminate();
      this.#worker = undefined;
      return false;
    }
    if ('error' in reply) {
      this.#fail(Object.assign(new Error(reply.error.message), reply.error));
      return false;
    }
    this.#checkpoints += 1;
    // log and checkpointed are -1 when the checkpoint could not start (another one runs).
    const hasCopied = reply.checkpointed > before.nBackfill;
    // Readers of older snapshots may hold frames back: retried after `pages` more.
    if (reply.log >= 0) this.#heldBack = hasCopied ? 0 : this.pendingFrames();
    return hasCopied;
  }

  #fail(error: unknown): void {
    this.#failures += 1;
    this.#lastFailure = toPaddockError(error, {
      operation: `checkpoint ${this.#databasePath}`,
      freeBytes: () => freeBytesAt(dirname(this.#databasePath)),
    });
  }

  /** Sends one request to the worker (started when needed); rejects if the worker fails. */
  #request(mode: CheckpointMode, isFinal: boolean): Promise<CheckpointReply> {
    const worker = this.#worker ?? this.#startWorker();
    return new Promise<CheckpointReply>((resolvePromise, reject) => {
      const settle = () => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        // Idle, the worker must not keep the process alive; busy, it must (or an awaited close
        // would end with the event loop).
        worker.unref();
      };
      const onMessage = (message: unknown) => {
        settle();
        const parsed = CheckpointReply.safeParse(message);
        if (parsed.success) resolvePromise(parsed.data);
        else reject(new Error(`the checkpoint worker answered ${JSON.stringify(message)}`));
      };
      const onError = (error: unknown) => {
        settle();
        reject(error);
      };
      const onExit = (exitCode: number) => {
        settle();
        reject(new Error(`the checkpoint worker exited with code ${exitCode}`));
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.ref();
      worker.postMessage({ mode, isFinal });
    });
  }

  #startWorker(): Worker {
    const worker = new Worker(this.#workerUrl, {
      workerData: { databasePath: this.#databasePath, busyTimeoutMs: this.#busyTimeoutMs },
    });
    // Failures reach the request waiting on them; between requests they only retire the worker.
    worker.on('error', () => {});
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
    });
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}

type Shared = { checkpointer: Checkpointer; users: number };
const shared = new Map<string, Shared>();

/**
 * The checkpointer of the database at `databasePath`, shared by every connection of this process
 * to that file (one worker, one checkpoint at a time), until each has released it; the last
 * release closes it (a final checkpoint). `:memory:` databases have no WAL: none.
 */
export function acquireCheckpointer(
  databasePath: string,
  options: { busyTimeoutMs: number; pages?: number | undefined },
): {
  checkpointer: Checkpointer | undefined;
  /** `checkpointHere`: the last checkpoint on the releasing connection (see `close`). */
  release(checkpointHere?: () => void): Promise<void>;
} {
  if (databasePath === ':memory:') {
    return { checkpointer: undefined, release: async () => {} };
  }
  const key = resolve(databasePath);
  let entry = shared.get(key);
  if (entry === undefined) {
    entry = { checkpointer: new Checkpointer(key, options), users: 0 };
    shared.set(key, entry);
  }
  entry.users += 1;
  const held = entry;
  let isReleased = false;
  return {
    checkpointer: held.checkpointer,
    release: async (checkpointHere) => {
      if (isReleased) return;
      isReleased = true;
      held.users -= 1;
      if (held.users > 0) return;
      if (shared.get(key) === held) shared.delete(key);
      await held.checkpointer.close(checkpointHere);
    },
  };
}
