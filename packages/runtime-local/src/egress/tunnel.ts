import type { Socket } from 'node:net';

/**
 * Join a client and an upstream socket into one byte tunnel (CONNECT, SOCKS5). Both sockets must
 * allow half-open connections: a FIN is passed on, so a client may send its request and FIN and
 * still read the answer. An error on either side, or `idleTimeoutMs` without traffic on a side,
 * destroys both.
 */
export function joinSockets(client: Socket, upstream: Socket, idleTimeoutMs: number): void {
  const destroyBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  for (const [socket, other] of [
    [client, upstream],
    [upstream, client],
  ] as const) {
    socket.setTimeout(idleTimeoutMs, destroyBoth);
    socket.on('error', destroyBoth);
    // A clean close has already passed its FIN on through pipe(); let the other side flush.
    socket.on('close', (hadError) => (hadError ? other.destroy() : other.end()));
  }
  client.pipe(upstream);
  upstream.pipe(client);
}
