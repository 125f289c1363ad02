import type { Duplex } from 'node:stream';
import { type Informer, isVisible, type Principal } from '@paddock/control';
import type { Sandbox } from '@paddock/core';

type Bound = { principal: Principal; binds: number };

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * The open connections that reach into a sandbox (terminals, port forwards, previews, its
 * requests and streams), each with the caller that opened it, so a caller who may no longer see
 * the sandbox — its owner took the caller off `sharedWith` — loses them at once, as a revoked key
 * does, instead of keeping a shell in it for as long as the socket lasts. Who may see a sandbox
 * is `@paddock/control`'s rule (`isVisible`), asked again on every change of the sandbox.
 */
export class SandboxConnections {
  readonly #bySandbox = new Map<string, Map<Duplex, Bound>>();

  /**
   * Tracks `socket` as opened by `principal` on the sandbox `namespace/name` until it closes or
   * the returned release is called (a socket bound more than once stays until every release).
   */
  bind(principal: Principal, sandbox: { namespace: string; name: string }, socket: Duplex) {
    const key = keyOf(sandbox.namespace, sandbox.name);
    let sockets = this.#bySandbox.get(key);
    if (sockets === undefined) {
      sockets = new Map();
      this.#bySandbox.set(key, sockets);
    }
    const bound = sockets.get(socket);
    // A keep-alive socket serves one caller's requests (its key is checked on each).
    sockets.set(socket, { principal, binds: (bound?.binds ?? 0) + 1 });
    let isReleased = false;
    const release = () => {
      if (isReleased) return;
      isReleased = true;
      socket.off('close', release);
      const left = sockets.get(socket);
      if (left !== undefined && left.binds > 1)
        sockets.set(socket, { ...left, binds: left.binds - 1 });
      else sockets.delete(socket);
      if (sockets.size === 0 && this.#bySandbox.get(key) === sockets) this.#bySandbox.delete(key);
    };
    socket.once('close', release);
    return release;
  }

  /**
   * Destroys the connections into a sandbox of callers who could see it as it was (`before`) and
   * may not as it now is (`after`). A caller who never could (a request about to be answered
   * 404) keeps its connection: it may carry that caller's other requests.
   */
  revisit(before: Sandbox, after: Sandbox): number {
    const key = keyOf(after.metadata.namespace ?? 'default', after.metadata.name ?? '');
    const sockets = this.#bySandbox.get(key);
    if (sockets === undefined) return 0;
    const lost = [...sockets].filter(
      ([, { principal }]) => isVisible(principal, before) && !isVisible(principal, after),
    );
    for (const [socket] of lost) socket.destroy();
    return lost.length;
  }

  /**
   * Revisits every changed Sandbox of `sandboxes` against its version before, the informer's
   * relists included: a sharedWith change made while its watch was lost is caught once it
   * catches up (resuming from its last version, or listing again when that expired).
   */
  follow(sandboxes: Informer<'Sandbox'>): void {
    sandboxes.subscribe(({ object, previous }) => {
      if (previous !== undefined && previous !== object) this.revisit(previous, object);
    });
  }
}
