import { ErrorCode, PaddockError, type Sandbox, type WatchEvent } from '@paddock/core';
import type { ResourceClient, ScopeOptions } from './resources.ts';

/** One caller of `waitFor` on a shared watch: its sandbox, its test and its outcome. */
type Waiter = {
  name: string;
  predicate: (sandbox: Sandbox) => boolean;
  /** Changes that came before the waiter had read its sandbox; undefined once it has. */
  early: Array<WatchEvent<Sandbox>> | undefined;
  /** The sandbox's version as the waiter read it: no change at or before it is news. */
  readVersion: string | undefined;
  resolve(sandbox: Sandbox): void;
  reject(error: unknown): void;
};

/** One namespace watch serving every waiter on that namespace (with the same headers). */
type SharedWatch = {
  key: string;
  /** Settles once the version the watch starts after is known. */
  started: Promise<void>;
  /** The version the watch starts after, once known. */
  startVersion: string | undefined;
  /**
   * The newest change of each sandbox seen lately, for a waiter whose copy is from before it
   * joined (oldest first; at most `RECENT_NAMES`), and the newest version of those dropped.
   */
  recent: Map<string, WatchEvent<Sandbox>>;
  droppedUpTo: string;
  waiters: Set<Waiter>;
  stop: AbortController;
};

/**
 * The waits of one client. A wait alone reads its sandbox and watches that sandbox from there.
 * Concurrent waits on sandboxes of a namespace share one watch of the namespace instead of each
 * opening a watch of its own (a connection, closed at the wait's end, and a reader on the
 * server): it starts after the namespace's version of the moment (a one-item list) and before its
 * waiters read their sandboxes, so it carries every change made after those reads. It ends with
 * its last waiter.
 */
export class SandboxWaits {
  readonly #crud: ResourceClient<'Sandbox'>;
  readonly #defaultNamespace: string;
  readonly #watches = new Map<string, SharedWatch>();
  /** Waits in progress per namespace (and headers), alone or shared. */
  readonly #active = new Map<string, number>();

  constructor(crud: ResourceClient<'Sandbox'>, defaultNamespace: string) {
    this.#crud = crud;
    this.#defaultNamespace = defaultNamespace;
  }

  /**
   * Resolves with the sandbox once `predicate` holds, now or after a change; `sandbox_not_found`
   * when it is deleted meanwhile; a failure of the watch (`expired`, say) as it is. Aborting
   * `signal` ends the wait with the signal's reason.
   */
  async wait(
    name: string,
    predicate: (sandbox: Sandbox) => boolean,
    options: ScopeOptions & { signal: AbortSignal; from?: Sandbox | undefined },
  ): Promise<Sandbox> {
    const { signal, from } = options;
    const scope = {
      ...(options.namespace !== undefined && { namespace: options.namespace }),
      ...(options.headers !== undefined && { headers: options.headers }),
    };
    const key = JSON.stringify([scope.namespace ?? this.#defaultNamespace, scope.headers ?? {}]);
    const others = this.#active.get(key) ?? 0;
    this.#active.set(key, others + 1);
    try {
      // Alone, a wait watches its own sandbox: a namespace watch pays off from the second.
      if (others === 0 && !this.#watches.has(key))
        return await this.#waitAlone(name, predicate, scope, signal, from);
      return await this.#waitShared(key, name, predicate, scope, signal, from);
    } finally {
      const left = (this.#active.get(key) ?? 1) - 1;
      if (left === 0) this.#active.delete(key);
      else this.#active.set(key, left);
    }
  }

  /** Reads the sandbox (unless given), then watches that sandbox alone from its version. */
  async #waitAlone(
    name: string,
    predicate: (sandbox: Sandbox) => boolean,
    scope: ScopeOptions,
    signal: AbortSignal,
    from: Sandbox | undefined,
  ): Promise<Sandbox> {
    const current = from ?? (await this.#crud.get(name, { ...scope, signal }));
    if (predicate(current)) return current;
    const version = current.metadata.resourceVersion;
    // That sandbox's changes only: the server neither reads nor sends any other's.
    const changes = this.#crud.watch({
      ...scope,
      fieldSelector: `metadata.name=${name}`,
      signal,
      ...(version && { resourceVersion: version }),
    });
    for await (const change of changes) {
      if (change.object.metadata.name !== name) continue;
      if (change.type === 'DELETED') throw deleted(name);
      if (predicate(change.object)) return change.object;
    }
    signal.throwIfAborted();
    throw new PaddockError(ErrorCode.Internal, 'the server ended the watch');
  }

  /**
   * Joins (or starts) the namespace's watch, then reads the sandbox, unless the caller's copy is
   * from after the watch's start (a create's answer while the watch runs).
   */
  async #waitShared(
    key: string,
    name: string,
    predicate: (sandbox: Sandbox) => boolean,
    scope: ScopeOptions,
    signal: AbortSignal,
    from: Sandbox | undefined,
  ): Promise<Sandbox> {
    let resolve: (sandbox: Sandbox) => void = () => {};
    let reject: (error: unknown) => void = () => {};
    const promise = new Promise<Sandbox>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    // A failure after the wait has ended (its watch stopping) concerns nobody.
    promise.catch(() => {});
    const waiter: Waiter = { name, predicate, early: [], readVersion: undefined, resolve, reject };
    const watch = this.#join(key, scope, waiter);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Read once the watch's start is fixed: it then carries every change after the read.
      await Promise.race([watch.started, promise]);
      // A copy from after the watch's start (and what it remembers) need not be read again: the
      // changes since it are the remembered one, if any, and those to come.
      const fromVersion = from?.metadata.resourceVersion;
      const isRecent =
        isNotNewer(watch.startVersion, fromVersion) && isNotNewer(watch.droppedUpTo, fromVersion);
      const current =
        from !== undefined && isRecent ? from : await this.#crud.get(name, { ...scope, signal });
      if (predicate(current)) return current;
      waiter.readVersion = current.metadata.resourceVersion;
      const seen = current === from ? watch.recent.get(name) : undefined;
      const early = [...(seen ? [seen] : []), ...(waiter.early ?? [])];
      waiter.early = undefined;
      for (const change of early) deliver(waiter, change);
      return await promise;
    } finally {
      signal.removeEventListener('abort', onAbort);
      watch.waiters.delete(waiter);
      if (watch.waiters.size === 0) this.#end(watch);
    }
  }

  /** Adds `waiter` to its namespace's watch, starting one if none runs. */
  #join(key: string, scope: ScopeOptions, waiter: Waiter): SharedWatch {
    const running = this.#watches.get(key);
    if (running !== undefined) {
      running.waiters.add(waiter);
      return running;
    }
    const watch: SharedWatch = {
      key,
      started: Promise.resolve(),
      startVersion: undefined,
      recent: new Map(),
      droppedUpTo: '0',
      waiters: new Set([waiter]),
      stop: new AbortController(),
    };
    this.#watches.set(key, watch);
    watch.started = this.#start(scope, watch);
    watch.started.catch((error: unknown) => this.#fail(watch, error));
    return watch;
  }

  async #start(scope: ScopeOptions, watch: SharedWatch): Promise<void> {
    const { signal } = watch.stop;
    const page = await this.#crud.list({ ...scope, limit: 1, signal });
    watch.startVersion = page.metadata.resourceVersion;
    const changes = this.#crud.watch({
      ...scope,
      signal,
      resourceVersion: page.metadata.resourceVersion,
    });
    void this.#follow(changes, watch);
  }

  async #follow(changes: AsyncIterable<WatchEvent<Sandbox>>, watch: SharedWatch): Promise<void> {
    try {
      for await (const change of changes) {
        remember(watch, change);
        for (const waiter of watch.waiters) {
          if (change.object.metadata.name !== waiter.name) continue;
          if (waiter.early !== undefined) waiter.early.push(change);
          else deliver(waiter, change);
        }
      }
      this.#fail(watch, new PaddockError(ErrorCode.Internal, 'the server ended the watch'));
    } catch (error) {
      this.#fail(watch, error);
    }
  }

  /** The watch failed: each of its waiters fails with the error; the next wait starts anew. */
  #fail(watch: SharedWatch, error: unknown): void {
    if (watch.stop.signal.aborted) return;
    for (const waiter of watch.waiters) waiter.reject(error);
    this.#end(watch);
  }

  #end(watch: SharedWatch): void {
    watch.stop.abort();
    if (this.#watches.get(watch.key) === watch) this.#watches.delete(watch.key);
  }
}

/** Sandboxes whose newest change a shared watch remembers. */
const RECENT_NAMES = 1024;

/** Records `change` as its sandbox's newest, dropping the oldest sandbox's past the limit. */
function remember(watch: SharedWatch, change: WatchEvent<Sandbox>): void {
  const name = change.object.metadata.name ?? '';
  watch.recent.delete(name);
  watch.recent.set(name, change);
  if (watch.recent.size <= RECENT_NAMES) return;
  const [oldest, dropped] = watch.recent.entries().next().value ?? [];
  if (oldest === undefined) return;
  watch.recent.delete(oldest);
  const version = dropped?.object.metadata.resourceVersion ?? '0';
  if (!isNotNewer(version, watch.droppedUpTo)) watch.droppedUpTo = version;
}

/** Settles `waiter` by a change of its sandbox that is newer than what it read. */
function deliver(waiter: Waiter, change: WatchEvent<Sandbox>): void {
  if (isNotNewer(change.object.metadata.resourceVersion, waiter.readVersion)) return;
  if (change.type === 'DELETED') waiter.reject(deleted(waiter.name));
  else if (waiter.predicate(change.object)) {
    waiter.resolve(change.object);
  }
}

const deleted = (name: string) =>
  new PaddockError(ErrorCode.SandboxNotFound, `sandbox "${name}" was deleted`);

/**
 * Whether store version `version` is at or before `read`: both decimal text (Paddock's versions,
 * and Kubernetes' in practice); anything else is not known to be.
 */
function isNotNewer(version: string | undefined, read: string | undefined): boolean {
  if (version === undefined || read === undefined) return false;
  if (!/^\d+$/.test(version) || !/^\d+$/.test(read)) return false;
  return BigInt(version) <= BigInt(read);
}
