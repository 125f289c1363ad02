import type { Principal } from '@paddock/control';

/** What the table needs of a session: its caller, and how to end it. */
export type McpSessionEntry = {
  principal: Principal;
  close(): Promise<void>;
};

/** How long a session with no request in flight lives; default 30 minutes. */
export const MCP_IDLE_TIMEOUT_MS = 30 * 60_000;

/**
 * The live MCP sessions of the server by session id, each ended after `idleTimeoutMs` with no
 * request in flight (an open GET stream is a request in flight: a listening client is not idle).
 */
export class McpSessions<S extends McpSessionEntry = McpSessionEntry> {
  readonly #idleTimeoutMs: number;
  readonly #byId = new Map<string, { session: S; active: number; timer?: NodeJS.Timeout }>();

  constructor(idleTimeoutMs = MCP_IDLE_TIMEOUT_MS) {
    this.#idleTimeoutMs = idleTimeoutMs;
  }

  get size(): number {
    return this.#byId.size;
  }

  add(id: string, session: S): void {
    const entry: { session: S; active: number; timer?: NodeJS.Timeout } = { session, active: 0 };
    this.#byId.set(id, entry);
    this.#arm(id, entry);
  }

  /**
   * The session `id` when `principal` opened it, else undefined: another caller's session is
   * not found, never told apart from one that does not exist.
   */
  get(id: string, principal: Principal): S | undefined {
    const session = this.#byId.get(id)?.session;
    return session !== undefined && isSameCaller(session.principal, principal)
      ? session
      : undefined;
  }

  /** Marks a request of `id` in flight; the returned function marks it done (once). */
  begin(id: string): () => void {
    const entry = this.#byId.get(id);
    if (entry === undefined) return () => {};
    entry.active += 1;
    clearTimeout(entry.timer);
    let isDone = false;
    return () => {
      if (isDone) return;
      isDone = true;
      entry.active -= 1;
      if (entry.active === 0 && this.#byId.get(id) === entry) this.#arm(id, entry);
    };
  }

  /** Forgets `id` (its session has closed). */
  delete(id: string): void {
    const entry = this.#byId.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.#byId.delete(id);
  }

  /** Ends every session (server shutdown). */
  async closeAll(): Promise<void> {
    const sessions = [...this.#byId.values()].map((e) => e.session);
    for (const id of [...this.#byId.keys()]) this.delete(id);
    await Promise.allSettled(sessions.map((s) => s.close()));
  }

  #arm(id: string, entry: { session: S; active: number; timer?: NodeJS.Timeout }): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      this.delete(id);
      void entry.session.close();
    }, this.#idleTimeoutMs);
    entry.timer.unref();
  }
}

/**
 * The same caller: the same user by the same means, with an API key the same key (an OIDC
 * session goes on with a refreshed token of the same subject), with a run's token the same run
 * (its uid: not a new run of the same name).
 */
export function isSameCaller(a: Principal, b: Principal): boolean {
  return (
    a.id === b.id &&
    a.via === b.via &&
    a.keyId === b.keyId &&
    a.scope?.namespace === b.scope?.namespace &&
    a.scope?.run === b.scope?.run &&
    a.scope?.runUid === b.scope?.runUid
  );
}
