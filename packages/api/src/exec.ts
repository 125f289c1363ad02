import { z } from 'zod';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ABSOLUTE_PATH = /^\/[^\0]*$/;

/**
 * Body of `exec`: an argv (no shell unless you run one), extra env, the working directory
 * (`/workspace` by default), text to write to stdin before closing it, and a time limit after
 * which the process is killed and the result reports `timedOut`. A sandbox its idle timeout put
 * to sleep is woken first; one paused on purpose answers `sandbox_paused` unless `autoResume`.
 */
export const ExecBody = z.strictObject({
  command: z.array(z.string()).min(1, 'must name a program'),
  env: z
    .record(z.string().regex(ENV_NAME, 'must be a valid environment variable name'), z.string())
    .optional(),
  cwd: z.string().regex(ABSOLUTE_PATH, 'must be an absolute path').optional(),
  stdin: z.string().optional(),
  timeoutMs: z
    .int()
    .min(1)
    .max(24 * 60 * 60 * 1000)
    .optional(),
  /** Resume the sandbox first when it is paused (the caller must be able to manage it). */
  autoResume: z.boolean().optional(),
});
export type ExecBody = z.infer<typeof ExecBody>;

/** Result of a buffered `exec`: UTF-8 output (invalid bytes replaced) and how the process ended. */
export const ExecResult = z.object({
  /** Null when the process was killed by a signal. */
  exitCode: z.int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  stdout: z.string(),
  stderr: z.string(),
  /** True when output beyond the server's buffer limit was dropped (use the streaming form). */
  truncated: z.boolean().optional(),
  durationMs: z.number().nonnegative(),
});
export type ExecResult = z.infer<typeof ExecResult>;

/**
 * One line of the streaming `exec/stream` response (`application/x-ndjson`): `started` first,
 * then `stdout`/`stderr` chunks as they come (UTF-8 text), then exactly one `exit` or `error`.
 */
export const ExecStreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), processId: z.string() }),
  z.object({ type: z.literal('stdout'), data: z.string() }),
  z.object({ type: z.literal('stderr'), data: z.string() }),
  z.object({
    type: z.literal('exit'),
    exitCode: z.int().nullable(),
    signal: z.string().nullable(),
    timedOut: z.boolean(),
    durationMs: z.number().nonnegative(),
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type ExecStreamEvent = z.infer<typeof ExecStreamEvent>;
