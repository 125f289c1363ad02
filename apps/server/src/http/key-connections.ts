import type { Duplex } from 'node:stream';
import type { Principal } from '@paddock/control';
import { isTerminalRunPhase, type ResourceStore, WatchEventType } from '@paddock/core';
import { followChanges } from './follow-changes.ts';

/** What a run's token opened is tracked under this id: it ends with the run (`runConnectionsId`). */
export function runConnectionsId(run: string): string {
  return `run:${run}`;
}

/** The id a principal's connections are tracked under: its API key, or its run's token. */
function credentialIdOf(principal: Principal): string | undefined {
  if (principal.keyId !== undefined) return principal.keyId;
  const run = principal.scope?.run;
  return run === undefined ? undefined : runConnectionsId(run);
}

/**
 * The open connections of each API key and run token (requests in progress, event streams,
 * terminals, port forwards, previews), so revoking a key, or the end of a run, ends what it
 * opened at once instead of when the connection happens to close. Other principals (OIDC,
 * anonymous) are not tracked.
 */
export class KeyConnections {
  /** Per key, each socket with the number of its binds not yet released. */
  readonly #byKey = new Map<string, Map<Duplex, number>>();

  /**
   * Tracks `socket` as opened by `principal` until it closes or the returned release is called.
   * A socket bound more than once (pipelined requests) stays tracked until every bind is released.
   */
  bind(principal: Principal, socket: Duplex): () => void {
    const keyId = credentialIdOf(principal);
    if (keyId === undefined) return () => {};
    let sockets = this.#byKey.get(keyId);
    if (sockets === undefined) {
      sockets = new Map();
      this.#byKey.set(keyId, sockets);
    }
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    let isReleased = false;
    const release = () => {
      if (isReleased) return;
      isReleased = true;
      socket.off('close', release);
      const binds = (sockets.get(socket) ?? 1) - 1;
      if (binds > 0) sockets.set(socket, binds);
      else sockets.delete(socket);
      if (sockets.size === 0 && this.#byKey.get(keyId) === sockets) this.#byKey.delete(keyId);
    };
    socket.once('close', release);
    return release;
  }

  /**
   * Ends what each run's token opened once its run is over (an outcome, or deleted): the token
   * is refused from then on, and its open streams must not outlive it. Runs until `signal` aborts.
   */
  followRuns(store: ResourceStore, signal: AbortSignal, log: (line: string) => void) {
    return followChanges(store, 'Run', signal, log, ({ type, object }) => {
      const isOver =
        type === WatchEventType.Deleted || isTerminalRunPhase(object.status?.phase ?? 'Pending');
      if (isOver)
        this.end(runConnectionsId(`${object.metadata.namespace}/${object.metadata.name}`));
    });
  }

  /** Destroys every connection `keyId` opened, except `spare` (the revoking request's own). */
  end(keyId: string, spare?: Duplex): number {
    const sockets = [...(this.#byKey.get(keyId)?.keys() ?? [])].filter((s) => s !== spare);
    for (const socket of sockets) socket.destroy();
    return sockets.length;
  }
}
