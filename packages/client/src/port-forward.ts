import { PORT_FORWARD_PROTOCOL } from '@paddock/api';
import type { ResolvedOptions } from './client-options.ts';
import { type ExplainRefusal, openWebSocket } from './websocket-connect.ts';

/**
 * One TCP connection to a port inside a sandbox, over `/ws/port-forward/{ns}/{name}/{port}`.
 * `readable` ends when the sandbox side closes; closing `writable` (or `close()`) ends the whole
 * connection: a WebSocket has no half-close.
 */
export type PortForward = {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  close(): void;
};

/** Writes wait while more than this many bytes are queued on the socket. */
const HIGH_WATER_BYTES = 1024 * 1024;

/** Opens one forwarded connection; a refusal rejects with `explain()`'s error. */
export async function openPortForward(
  options: ResolvedOptions,
  path: string,
  explain: ExplainRefusal,
): Promise<PortForward> {
  const ws = await openWebSocket(options, { path, protocol: PORT_FORWARD_PROTOCOL }, explain);
  const closed = new Promise<void>((resolve) => ws.addEventListener('close', () => resolve()));
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      ws.addEventListener('message', (event: MessageEvent) => {
        if (event.data instanceof ArrayBuffer) controller.enqueue(new Uint8Array(event.data));
      });
      void closed.then(() => {
        try {
          controller.close();
        } catch {
          // Already cancelled by the reader.
        }
      });
    },
    cancel: () => ws.close(1000),
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > HIGH_WATER_BYTES) {
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10))]);
      }
      if (ws.readyState === WebSocket.OPEN) ws.send(chunk as Uint8Array<ArrayBuffer>);
    },
    close: () => ws.close(1000),
    abort: () => ws.close(1000),
  });
  return { readable, writable, close: () => ws.close(1000) };
}
