import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

export type StreamOptions = {
  /** 200 unless told. */
  status?: number;
  /** Merged over the stream's defaults (content type, `Cache-Control: no-cache`). */
  headers?: OutgoingHttpHeaders;
  /** With it, a heartbeat the stream's readers ignore goes out this often, so proxies keep it open. */
  heartbeatMs?: number;
  /** Aborting it counts as the end of the stream for `closed` (a server shutting down). */
  signal?: AbortSignal;
};

/** A response written piece by piece as things happen. */
export type ResponseStream = {
  /** Writes `text` unless the stream is over; false when it was not written. */
  write(text: string): boolean;
  /** Resolves when the client goes away, `signal` aborts or `end()` is called. */
  closed: Promise<void>;
  isOpen(): boolean;
  /** Ends the response (and the heartbeat). */
  end(): void;
};

/**
 * Starts a streamed response of `format`: the head goes out at once, the body as `write` is
 * called, and `format.heartbeat` every `heartbeatMs`.
 */
export function startStream(
  res: ServerResponse,
  format: { contentType: string; heartbeat: string },
  options: StreamOptions = {},
): ResponseStream {
  res.writeHead(options.status ?? 200, {
    'content-type': format.contentType,
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...options.headers,
  });
  res.flushHeaders();
  let isOpen = true;
  let resolveClosed = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const { heartbeatMs } = options;
  const timer =
    heartbeatMs === undefined ? undefined : setInterval(() => write(format.heartbeat), heartbeatMs);
  timer?.unref();
  const finish = () => {
    isOpen = false;
    clearInterval(timer);
    res.off('close', finish);
    options.signal?.removeEventListener('abort', finish);
    resolveClosed();
  };
  const write = (text: string) => {
    if (!isOpen || res.destroyed || res.writableEnded) return false;
    res.write(text);
    return true;
  };
  res.once('close', finish);
  if (options.signal?.aborted) finish();
  else options.signal?.addEventListener('abort', finish, { once: true });
  return {
    write,
    closed,
    isOpen: () => isOpen,
    end() {
      finish();
      res.end();
    },
  };
}
