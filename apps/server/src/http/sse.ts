import type { ServerResponse } from 'node:http';

/** How often an idle event stream sends a comment, so proxies and clients keep it open. */
export const HEARTBEAT_MS = 15_000;

export type SseStream = {
  send(event: { id?: string; event?: string; data: unknown }): void;
  /** Resolves when the client goes away or `signal` aborts. */
  closed: Promise<void>;
  end(): void;
};

/** Starts a `text/event-stream` response with a heartbeat comment every `HEARTBEAT_MS`. */
export function startSse(res: ServerResponse, requestId: string, signal: AbortSignal): SseStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-request-id': requestId,
  });
  res.write(': stream open\n\n');
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  let end = () => {};
  const closed = new Promise<void>((resolve) => {
    end = resolve;
  });
  const finish = () => {
    clearInterval(heartbeat);
    end();
  };
  res.once('close', finish);
  signal.addEventListener('abort', finish, { once: true });
  return {
    send({ id, event, data }) {
      let text = '';
      if (id !== undefined) text += `id: ${id}\n`;
      if (event !== undefined) text += `event: ${event}\n`;
      text += `data: ${JSON.stringify(data)}\n\n`;
      res.write(text);
    },
    closed,
    end() {
      finish();
      res.end();
    },
  };
}
