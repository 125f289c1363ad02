import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Completes a WebSocket handshake. Undefined when `ws` refused it (bad key or version: it
 * answers 400 itself) or the client went away first.
 */
export function upgradeToWebSocket(
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve(undefined);
      return;
    }
    const onClose = () => resolve(undefined);
    socket.once('close', onClose);
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', onClose);
      resolve(ws);
    });
  });
}
