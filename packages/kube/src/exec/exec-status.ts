import { ErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';

/**
 * The `Status` the API server writes on the error channel when a command ends (kubelet, or the
 * API server's WebSocket translator since Kubernetes 1.30): `{"metadata":{},"status":"Success"}`,
 * or `Failure` with reason `NonZeroExitCode` and the code as the message of a cause of type
 * `ExitCode`, or another failure (`InternalError` when the runtime could not start the command).
 */
const Status = z.object({
  status: z.enum(['Success', 'Failure']),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
  details: z
    .object({
      causes: z
        .array(
          z.object({
            reason: z.string().optional(),
            message: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export const NON_ZERO_EXIT_CODE = 'NonZeroExitCode';
export const EXIT_CODE_CAUSE = 'ExitCode';

/**
 * What a container runtime says when the program of an exec does not exist (containerd and
 * CRI-O through runc or crun: `exec: "x": executable file not found in $PATH`, or `no such file
 * or directory` for a path). A shell says it with exit code 127; Kubernetes with an
 * `InternalError`, which this reads as that exit code.
 */
const MISSING_PROGRAM = /executable file not found|no such file or directory/i;

/** The exit code a command's final `Status` reports. */
export function exitCodeOf(json: string): number {
  let parsed: z.infer<typeof Status>;
  try {
    parsed = Status.parse(JSON.parse(json));
  } catch (error) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `the exec's error channel carried no Status: ${(error as Error).message}`,
    );
  }
  if (parsed.status === 'Success') return 0;
  if (parsed.reason === NON_ZERO_EXIT_CODE) {
    const cause = parsed.details?.causes?.find((c) => c.reason === EXIT_CODE_CAUSE);
    const code = Number(cause?.message);
    if (cause === undefined || !Number.isInteger(code) || code < 0 || code > 255) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `the exec's Status gives no exit code: ${json}`,
      );
    }
    return code;
  }
  const message = parsed.message ?? json;
  if (MISSING_PROGRAM.test(message)) return 127;
  throw new PaddockError(ErrorCode.RuntimeUnavailable, `exec failed in the pod: ${message}`, {
    reason: parsed.reason ?? null,
  });
}
