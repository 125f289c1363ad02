import { createConnection, createServer, type Socket } from 'node:net';

/** A TCP relay on 127.0.0.1 to another address, to cut a client off from a server it talks to. */
export type TcpGate = {
  /** The relay's port. */
  port: number;
  /** Drops every connection through the relay and refuses new ones until `open`. */
  close(): void;
  /** Relays new connections again, on the same port. */
  open(): void;
  /** Drops every connection and stops listening; calling it again does nothing. */
  stop(): Promise<void>;
};

/** Starts a relay to `target` (its hostname and port), open. */
export async function startTcpGate(target: URL): Promise<TcpGate> {
  const sockets = new Set<Socket>();
  let isOpen = true;
  const relay = createServer((inbound) => {
    if (!isOpen) {
      inbound.destroy();
      return;
    }
    const outbound = createConnection(Number(target.port), target.hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  relay.listen(0, '127.0.0.1');
  await new Promise((resolve) => relay.once('listening', resolve));
  const address = relay.address();
  if (address === null || typeof address === 'string') throw new Error('tcp gate: no port');
  const close = () => {
    isOpen = false;
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: address.port,
    close,
    open: () => {
      isOpen = true;
    },
    stop: async () => {
      close();
      if (relay.listening) await new Promise((resolve) => relay.close(resolve));
    },
  };
}
