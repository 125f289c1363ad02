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

/** The pid of the host chain (nsenter), for signals. */
export const BackgroundChain = z.strictObject({ pid: z.int().positive().nullable() });

export const PROCESS_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
