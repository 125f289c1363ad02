import type { Readable } from 'node:stream';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { Provider } from './provider-errors.ts';

/** Which wait of an upstream ran out: for its answer to begin, or for its next byte. */
export const UpstreamWait = { Headers: 'headers', Idle: 'idle' } as const;
export type UpstreamWait = (typeof UpstreamWait)[keyof typeof UpstreamWait];

/** The `timeout` error of an upstream that stayed silent for `timeoutMs`. */
export function upstreamTimeout(
  provider: Provider,
  wait: UpstreamWait,
  timeoutMs: number,
): PaddockError {
  const seconds = timeoutMs / 1000;
  const message =
    wait === UpstreamWait.Headers
      ? `the ${provider} upstream did not begin its answer within ${seconds} s`
      : `the ${provider} upstream sent nothing for ${seconds} s in the middle of its answer`;
  return new PaddockError(ErrorCode.Timeout, message, { provider, wait, timeoutMs });
}

/**
 * The chunks of an upstream answer's `body`. When the next chunk takes longer than `idleMs` to
 * come, `body` is destroyed (closing the upstream connection) and the iteration throws the
 * `timeout` error; time the reader spends between chunks does not count.
 */
export async function* chunksWithin(
  body: Readable,
  idleMs: number,
  provider: Provider,
): AsyncGenerator<Buffer> {
  const iterator: AsyncIterator<Buffer> = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const timer = setTimeout(
        () => body.destroy(upstreamTimeout(provider, UpstreamWait.Idle, idleMs)),
        idleMs,
      );
      let step: IteratorResult<Buffer>;
      try {
        step = await iterator.next();
      } finally {
        clearTimeout(timer);
      }
      if (step.done === true) return;
      yield step.value;
    }
  } finally {
    await iterator.return?.();
  }
}
