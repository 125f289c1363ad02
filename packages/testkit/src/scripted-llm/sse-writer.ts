import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One server-sent event; `event` is omitted for OpenAI, whose streams carry only `data:` lines. */
export type SseFrame = { event?: string; data: string };

export type SseWriteOptions = {
  chunkDelayMs?: number | undefined;
  /** Write the first frame, then nothing until the client goes away or the server closes. */
  isHanging?: boolean | undefined;
  /** Aborted when the client disconnects or the server closes. */
  signal: AbortSignal;
};

export function formatFrame(frame: SseFrame): string {
  const event = frame.event === undefined ? '' : `event: ${frame.event}\n`;
  return `${event}data: ${frame.data}\n\n`;
}

/** Streams frames as `text/event-stream`; stops quietly when the client leaves. */
export async function writeSse(
  res: ServerResponse,
  frames: readonly SseFrame[],
  options: SseWriteOptions,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const { signal } = options;
  for (const [index, frame] of frames.entries()) {
    if (signal.aborted) return;
    if (index > 0 && options.chunkDelayMs !== undefined && options.chunkDelayMs > 0) {
      const isInterrupted = await sleep(options.chunkDelayMs, false, { signal }).catch(() => true);
      if (isInterrupted) return;
    }
    res.write(formatFrame(frame));
    if (options.isHanging === true) {
      await waitForAbort(signal);
      return;
    }
  }
  res.end();
}

export function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}
