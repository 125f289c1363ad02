// Test support: the `Status` JSON an API server writes, byte for byte as Go's encoding/json
// writes a `metav1.Status` (field order, `"metadata":{}`, empty fields left out).

/** The error channel's Status of a command that ended with `code` (the WebSocket translator's). */
export function exitStatusJson(code: number): string {
  if (code === 0) return '{"metadata":{},"status":"Success"}';
  const message = `command terminated with non-zero exit code: command terminated with exit code ${code}`;
  return `{"metadata":{},"status":"Failure","message":${JSON.stringify(message)},"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"${code}"}]}}`;
}

/** `apierrors.NewInternalError(err)` as JSON. */
export function internalErrorJson(error: string): string {
  return `{"metadata":{},"status":"Failure","message":${JSON.stringify(`Internal error occurred: ${error}`)},"reason":"InternalError","details":{"causes":[{"message":${JSON.stringify(error)}}]},"code":500}`;
}

/** An error answer of the API server (`kind: Status`), as a failed upgrade gets it. */
export function errorAnswerJson(code: number, reason: string, message: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}
