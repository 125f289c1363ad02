// The one way tests wait for something that happens on its own time: poll a probe until it answers.

export type EventuallyOptions = {
  /** What is awaited, named in the timeout's message: "the sandbox Running". */
  what?: string;
  /** How long to keep trying, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** The pause between tries, in milliseconds (default 50; 5 suits in-process state). */
  intervalMs?: number;
};

/**
 * Calls `probe` (sync or async) until it returns something other than `undefined` or `false`,
 * and returns that. A probe that throws is tried again, so an assertion inside it can say what it
 * saw. After `timeoutMs` it throws an Error naming `what`, with the last try's error (message and
 * `cause`) if the last try threw.
 */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: EventuallyOptions = {},
): Promise<T> {
  const { what = 'a condition', timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: { error: unknown } | undefined;
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      failure = { error };
    }
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) throw timedOut(what, timeoutMs, failure);
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, remainingMs)));
  }
}

function timedOut(what: string, timeoutMs: number, failure: { error: unknown } | undefined) {
  const message = `timed out after ${timeoutMs} ms waiting for ${what}`;
  if (failure === undefined) return new Error(message);
  const { error } = failure;
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`${message}; the last try threw: ${reason}`, { cause: error });
}
