/** Progress of a long operation: each step named when it starts and when it ends, with its duration. */

export type StepEvent =
  | { type: 'start'; step: string }
  | { type: 'done'; step: string; durationMs: number; detail?: string }
  | { type: 'skipped'; step: string; reason: string }
  /** Something a running step observed (a state it waits on changed). */
  | { type: 'progress'; step: string; detail: string }
  | { type: 'failed'; step: string; durationMs: number; error: string };

export type Progress = (event: StepEvent) => void;

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One line for people: `✓ step (1.2 s)`, `- step: skipped (why)`, `  … step: what it sees`,
 * `✗ step (0.1 s): error`.
 */
export function formatStep(event: StepEvent): string | undefined {
  switch (event.type) {
    case 'start':
      return undefined;
    case 'done':
      return `✓ ${event.step} (${formatDuration(event.durationMs)})${event.detail ? `: ${event.detail}` : ''}`;
    case 'skipped':
      return `- ${event.step}: skipped (${event.reason})`;
    case 'progress':
      return `  … ${event.step}: ${event.detail}`;
    case 'failed':
      return `✗ ${event.step} (${formatDuration(event.durationMs)}): ${event.error}`;
    default: {
      const unhandled: never = event;
      throw new Error(`unknown step event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Runs `run` as step `name`, reporting its start, end and duration (or failure) to `progress`. */
export async function step<T>(
  progress: Progress,
  name: string,
  run: () => Promise<T>,
  detail?: (result: T) => string | undefined,
): Promise<T> {
  progress({ type: 'start', step: name });
  const started = performance.now();
  try {
    const result = await run();
    const text = detail?.(result);
    progress({
      type: 'done',
      step: name,
      durationMs: performance.now() - started,
      ...(text !== undefined && { detail: text }),
    });
    return result;
  } catch (error) {
    progress({
      type: 'failed',
      step: name,
      durationMs: performance.now() - started,
      error: (error as Error).message,
    });
    throw error;
  }
}
