import { type FSWatcher, watch } from 'node:fs';

/**
 * Wakes a reader when a file in `dir` changes (inotify, through `fs.watch`): a background
 * process's output and exit status are files its supervisor writes, and a reader follows them
 * at once instead of polling. A change between two waits is kept, so none is missed; a slow
 * safety check (`fallbackMs`) covers what no file reports (a supervisor killed outright) and a
 * host out of inotify watches.
 */
export class DirChanges {
  readonly #dir: string;
  readonly #fallbackMs: number;
  #watcher: FSWatcher | undefined;
  #isDirty = false;
  #wake: (() => void) | undefined;

  constructor(dir: string, fallbackMs = 1_000) {
    this.#dir = dir;
    this.#fallbackMs = fallbackMs;
  }

  /** Starts watching: changes from now on wake the next `changed()`. */
  start(): void {
    if (this.#watcher !== undefined) return;
    try {
      // Not persistent: only a reader waiting (its safety timer) keeps Paddock running.
      this.#watcher = watch(this.#dir, { persistent: false }, () => {
        this.#isDirty = true;
        this.#wake?.();
      });
      this.#watcher.on('error', () => this.close());
    } catch {
      // No watch possible: the safety check alone.
    }
  }

  /** Resolves on the next change since the last call (at once if one came meanwhile). */
  async changed(): Promise<void> {
    this.start();
    if (this.#isDirty) {
      this.#isDirty = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.#fallbackMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
    this.#isDirty = false;
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#wake?.();
  }
}
