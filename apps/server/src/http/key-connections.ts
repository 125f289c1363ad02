import type { Duplex } from 'node:stream';
import type { Principal } from '@paddock/control';

/**
 * The open connections of each API key (requests in progress, event streams, terminals, port
 * forwards, previews), so revoking a key ends what it opened at once instead of when the
 * connection happens to close. Principals without a key (OIDC, anonymous) are not tracked.
 */
export class KeyConnections {
  readonly #byKey = new Map<string, Set<Duplex>>();

  /** Tracks `socket` as opened by `principal` until it closes or `release` is called. */
  bind(principal: Principal, socket: Duplex): () => void {
    const keyId = principal.keyId;
    if (keyId === undefined) return () => {};
    const sockets = this.#byKey.get(keyId) ?? new Set<Duplex>();
    this.#byKey.set(keyId, sockets);
    sockets.add(socket);
    const release = () => {
      socket.off('close', release);
      sockets.delete(socket);
      if (sockets.size === 0 && this.#byKey.get(keyId) === sockets) this.#byKey.delete(keyId);
    };
    socket.once('close', release);
    return release;
  }

  /** Destroys every connection `keyId` opened, except `spare` (the revoking request's own). */
  end(keyId: string, spare?: Duplex): number {
    const sockets = [...(this.#byKey.get(keyId) ?? [])].filter((s) => s !== spare);
    for (const socket of sockets) socket.destroy();
    return sockets.length;
  }
}
