import type { Duplex } from 'node:stream';
import { type Informer, InformerEventType, type Principal, PrincipalVia } from '@paddock/control';
import { isTerminalRunPhase } from '@paddock/core';

/**
 * What the tokens of run `namespace/name` opened is tracked under this id (with the run's uid:
 * `run:ns/name#uid`), or ids it begins (`@` and the token's expiry).
 */
function runConnectionsId(run: string, uid: string | undefined): string {
  return uid === undefined ? `run:${run}` : `run:${run}#${uid}`;
}

/**
 * The id a principal's connections are tracked under: its API key, its run's token (the run, its
 * uid and the token's expiry, if any: a run's tokens of one expiry die at once, all of them with
 * the run), or its OIDC token (subject and expiry: every token of a subject with that expiry dies
 * at once).
 */
function credentialIdOf(principal: Principal): string | undefined {
  if (principal.keyId !== undefined) return principal.keyId;
  const run = principal.scope?.run;
  if (run !== undefined) {
    const id = runConnectionsId(run, principal.scope?.runUid);
    // `#` and `@` are in no namespace, run name or uid: the id stays within the run's prefix.
    return principal.expiresAtMs === undefined ? id : `${id}@${principal.expiresAtMs}`;
  }
  if (principal.via === PrincipalVia.Oidc && principal.expiresAtMs !== undefined)
    return `oidc:${principal.id}:${principal.expiresAtMs}`;
  return undefined;
}

/** The longest delay a Node timer takes (about 24.8 days): a later expiry is armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The sockets of one credential, each with its binds not yet released, and its expiry timer. */
type Tracked = {
  sockets: Map<Duplex, number>;
  expiresAtMs?: number;
  timer?: NodeJS.Timeout;
};

/**
 * The open connections of each API key, run token and OIDC token (requests in progress, event
 * streams, terminals, port forwards, previews), so revoking a key, the end of a run, or the
 * expiry of a key or token (`Principal.expiresAtMs`: an API key's, a run token's, an OIDC
 * token's; one timer per credential while it holds a connection) ends what it opened at once
 * instead of when the connection happens to close.
 * Other principals (anonymous, a sandbox's token) are not tracked.
 */
export class KeyConnections {
  readonly #byKey = new Map<string, Tracked>();

  /**
   * Tracks `socket` as opened by `principal` until it closes or the returned release is called.
   * A socket bound more than once (pipelined requests) stays tracked until every bind is released.
   */
  bind(principal: Principal, socket: Duplex): () => void {
    const keyId = credentialIdOf(principal);
    if (keyId === undefined) return () => {};
    let tracked = this.#byKey.get(keyId);
    if (tracked === undefined) {
      tracked = { sockets: new Map() };
      this.#byKey.set(keyId, tracked);
    }
    const { sockets } = tracked;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    const { expiresAtMs } = principal;
    if (expiresAtMs !== undefined && expiresAtMs < (tracked.expiresAtMs ?? Infinity)) {
      tracked.expiresAtMs = expiresAtMs;
      this.#arm(keyId, tracked);
    }
    let isReleased = false;
    const release = () => {
      if (isReleased) return;
      isReleased = true;
      socket.off('close', release);
      const binds = (sockets.get(socket) ?? 1) - 1;
      if (binds > 0) sockets.set(socket, binds);
      else sockets.delete(socket);
      if (sockets.size === 0 && this.#byKey.get(keyId) === tracked) {
        clearTimeout(tracked.timer);
        this.#byKey.delete(keyId);
      }
    };
    socket.once('close', release);
    return release;
  }

  /** Ends the credential's connections at its expiry (re-armed while it is beyond one timer). */
  #arm(keyId: string, tracked: Tracked): void {
    clearTimeout(tracked.timer);
    const delayMs = (tracked.expiresAtMs ?? Infinity) - Date.now();
    tracked.timer = setTimeout(
      () => {
        if (this.#byKey.get(keyId) !== tracked) return;
        if (delayMs > MAX_TIMER_MS) this.#arm(keyId, tracked);
        else this.end(keyId);
      },
      Math.max(0, Math.min(delayMs, MAX_TIMER_MS)),
    );
    // The timer never holds the process open: it only matters while a connection does.
    tracked.timer.unref();
  }

  /**
   * Ends what each run's token opened once its run is over (an outcome, or deleted): the token
   * is refused from then on, and its open streams must not outlive it. Every event of `runs`
   * counts, its first list and its relists too: a run that ended while the watch was lost (the
   * informer resumes from its last version, or lists again when that expired) ends its token's
   * connections once the informer catches up. A run is known by its uid: one deleted and made
   * again under its name while the watch was lost (the relist shows the new run in the old one's
   * place) ends the old run's, and the new run's tokens keep theirs.
   */
  followRuns(runs: Informer<'Run'>): void {
    runs.subscribe(({ type, object, previous }) => {
      const run = `${object.metadata.namespace}/${object.metadata.name}`;
      const replaced = previous?.metadata.uid;
      if (replaced !== undefined && replaced !== object.metadata.uid) this.endRun(run, replaced);
      const isOver =
        type === InformerEventType.Deleted || isTerminalRunPhase(object.status?.phase ?? 'Pending');
      if (isOver) this.endRun(run, object.metadata.uid);
    });
  }

  /**
   * Destroys every connection the tokens of run `namespace/name` opened: of its incarnation
   * `uid` only when given (and those of tokens that name no uid), else of every one.
   */
  endRun(run: string, uid?: string): number {
    const anyUid = runConnectionsId(run, undefined);
    const ids = uid === undefined ? undefined : [runConnectionsId(run, uid), anyUid];
    let ended = 0;
    for (const keyId of [...this.#byKey.keys()]) {
      const [id = ''] = keyId.split('@', 1);
      const isOfRun =
        ids === undefined ? id === anyUid || id.startsWith(`${anyUid}#`) : ids.includes(id);
      if (isOfRun) ended += this.end(keyId);
    }
    return ended;
  }

  /** Destroys every connection `keyId` opened, except `spare` (the revoking request's own). */
  end(keyId: string, spare?: Duplex): number {
    const open = this.#byKey.get(keyId)?.sockets.keys() ?? [];
    const sockets = [...open].filter((s) => s !== spare);
    for (const socket of sockets) socket.destroy();
    return sockets.length;
  }
}
