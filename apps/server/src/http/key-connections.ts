import type { Duplex } from 'node:stream';
import type { Principal } from '@paddock/control';

/**
 * The open connections of each API key (requests in progress, event streams, terminals, port
 * forwards, previews), so revoking a key ends what it opened at once instead of when the
 * connection happens to close. Principals without a key (OIDC, anonymous) are not tracked.
 */
export class KeyConnections {
  /** Per key, each socket with the number of its binds not yet released. */
  readonly #byKey = new Map<string, Map<Duplex, number>>();

  /**
   * Tracks `socket` as opened by `principal` until it closes or the returned release is called.
   * A socket bound more than once (pipelined requests) stays tracked until every bind is released.
   */
  bind(principal: Principal, socket: Duplex): () => void {
    const keyId = principal.keyId;
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

  /** Destroys every connection `keyId` opened, except `spare` (the revoking request's own). */
  end(keyId: string, spare?: Duplex): number {
    const sockets = [...(this.#byKey.get(keyId)?.keys() ?? [])].filter((s) => s !== spare);
    for (const socket of sockets) socket.destroy();
    return sockets.length;
  }
}
