import { z } from 'zod';
import { ExecBody } from './exec.ts';
import { NamespacedNameParams } from './routes-resources.ts';

/** A background process's id: `main` is the template's command; the rest are callers' or generated. */
export const ProcessId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    'must be 1-63 letters, digits, "_", "." or "-", starting with a letter or digit',
  );

/** Path of one background process of a sandbox. */
export const ProcessParams = NamespacedNameParams.extend({ processId: ProcessId });

/**
 * Body of `POST …/processes`: what `exec` takes (no stdin: a background process reads none), and
 * an optional id. The process keeps running after the request, a restart of Paddock included,
 * until it ends, its `timeoutMs` passes, it is killed or the sandbox stops.
 */
export const StartProcessBody = ExecBody.omit({ stdin: true }).extend({
  /** `conflict` while a process of this id runs; an ended one's id may be used again. */
  processId: ProcessId.optional(),
});
export type StartProcessBody = z.infer<typeof StartProcessBody>;

/** How a background process ended. */
export const ProcessExit = z.object({
  /** Null when a signal ended it. */
  exitCode: z.int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
});

/** A background process of a sandbox: its command, when it started, and its end once it has. */
export const SandboxProcess = z.object({
  id: ProcessId,
  command: z.array(z.string()),
  startedAt: z.string(),
  running: z.boolean(),
  exit: ProcessExit.optional(),
});
export type SandboxProcess = z.infer<typeof SandboxProcess>;

export const ProcessList = z.object({ items: z.array(SandboxProcess) });
export type ProcessList = z.infer<typeof ProcessList>;

/** Query of `DELETE …/processes/{processId}`: the signal to send (default `SIGKILL`). */
export const KillProcessQuery = z.strictObject({
  signal: z
    .string()
    .regex(/^(SIG)?[A-Z][A-Z0-9+]{0,15}$/, 'must be a signal name such as SIGTERM or TERM')
    .optional(),
});
