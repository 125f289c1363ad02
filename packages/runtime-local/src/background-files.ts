/** The files of one background process under `procs/<id>/`, shared with its supervisor. */
import { z } from 'zod';

/** What the supervisor runs: the host chain that enters the sandbox. */
export const BackgroundLaunch = z.strictObject({
  file: z.string(),
  args: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  timeoutMs: z.int().positive().optional(),
  /** Run at the timeout before the chain's process group is killed (gVisor's `runsc kill`). */
  onTimeout: z.strictObject({ file: z.string(), args: z.array(z.string()) }).optional(),
});
export type BackgroundLaunch = z.infer<typeof BackgroundLaunch>;

/**
 * `launch` as the supervisor reads it (`launch.nul`): NUL-terminated fields, the timeout in
 * milliseconds (empty: none), then three counted lists: the on-timeout argv, the environment
 * (`NAME=value`), the argv. Throws for a field holding a NUL (it cannot reach exec anyway).
 */
export function encodeLaunch(launch: BackgroundLaunch): string {
  const list = (items: readonly string[]) => [String(items.length), ...items];
  const fields = [
    launch.timeoutMs === undefined ? '' : String(launch.timeoutMs),
    ...list(launch.onTimeout ? [launch.onTimeout.file, ...launch.onTimeout.args] : []),
    ...list(Object.entries(launch.env).map(([name, value]) => `${name}=${value}`)),
    ...list([launch.file, ...launch.args]),
  ];
  if (fields.some((field) => field.includes('\0'))) {
    throw new Error('a background launch field holds a NUL byte');
  }
  return fields.map((field) => `${field}\0`).join('');
}

/** Written by the runtime once the supervisor runs. */
export const BackgroundMeta = z.strictObject({
  id: z.string(),
  command: z.array(z.string()),
  startedAt: z.string(),
  supervisor: z.strictObject({
    pid: z.int().positive(),
    startTicks: z.string(),
    bootId: z.string(),
  }),
});
export type BackgroundMeta = z.infer<typeof BackgroundMeta>;

/** Written by the supervisor when the process has ended. */
export const BackgroundExit = z.strictObject({
  exitCode: z.int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  finishedAt: z.string(),
  message: z.string().optional(),
});
export type BackgroundExit = z.infer<typeof BackgroundExit>;

/** The pid of the host chain (the host helper), for signals. */
export const BackgroundChain = z.strictObject({ pid: z.int().positive().nullable() });

export const PROCESS_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
