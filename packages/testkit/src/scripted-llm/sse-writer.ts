import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEventStream } from '@paddock/http';

/** One server-sent event; `event` is omitted for OpenAI, whose streams carry only `data:` lines. */
export type SseFrame = { event?: string; data: string };

export type SseWriteOptions = {
  chunkDelayMs?: number | undefined;
  /** Write the first frame, then nothing until the client goes away or the server closes. */
  isHanging?: boolean | undefined;
  /** Aborted when the client disconnects or the server closes. */
  signal: AbortSignal;
};

/** Streams frames as `text/event-stream` (`@paddock/http`); stops quietly when the client leaves. */
export async function writeSse(
  res: ServerResponse,
  frames: readonly SseFrame[],
  options: SseWriteOptions,
): Promise<void> {
  const { signal } = options;
  const stream = startEventStream(res, { signal });
  for (const [index, frame] of frames.entries()) {
    if (!stream.isOpen()) return;
    if (index > 0 && options.chunkDelayMs !== undefined && options.chunkDelayMs > 0) {
      const isInterrupted = await sleep(options.chunkDelayMs, false, { signal }).catch(() => true);
      if (isInterrupted) return;
    }
    stream.send(frame);
    if (options.isHanging === true) {
      await stream.closed;
      return;
    }
  }
  stream.end();
}

export function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}
