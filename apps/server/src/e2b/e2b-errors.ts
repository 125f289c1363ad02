// A Paddock error as E2B tells it: the HTTP status E2B answers it with and a one-line message,
// for a whole answer (`e2b-server.ts`) and for one entry of a fork's list of results.
import { httpStatusFor } from '@paddock/api';
import { ErrorCode, type PaddockError } from '@paddock/core';

/** A Paddock error as E2B tells it: policy violations listed, one line. */
export function e2bMessage(error: PaddockError): string {
  const violations = error.details?.violations;
  if (error.code === ErrorCode.PolicyViolation && Array.isArray(violations)) {
    const said = violations
      .map((v) => (v !== null && typeof v === 'object' && 'message' in v ? String(v.message) : ''))
      .filter((m) => m !== '');
    if (said.length > 0) return `${error.message}: ${said.join('; ')}`;
  }
  return error.message;
}

/** The status E2B answers a Paddock error with (a gone sandbox on envd is its proxy's 502). */
export function e2bStatusFor(error: PaddockError): number {
  if (error.code === ErrorCode.SandboxNotFound) return 404;
  return httpStatusFor(error.code);
}

/** E2B's error object, `{code: <HTTP status>, message}`: its error body and a fork's failed entry. */
export function e2bErrorOf(error: PaddockError): { code: number; message: string } {
  return { code: e2bStatusFor(error), message: e2bMessage(error) };
}
