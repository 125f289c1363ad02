import { ErrorCode, fieldIssues, PaddockError } from '@paddock/core';
import type { z } from 'zod';

/**
 * Checks a response value against the route's schema. A mismatch means client and server
 * disagree on the contract: `internal` naming each field (`details.issues`), never a zod stack.
 */
export function validateResponse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  operationId: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = fieldIssues(result.error);
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  throw new PaddockError(
    ErrorCode.Internal,
    `unexpected response from ${operationId}: ${summary}`,
    { operationId, issues },
  );
}

/** Parses JSON text of a response; text that is not JSON is an `internal` unexpected response. */
export function parseJson(text: string, operationId: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new PaddockError(
      ErrorCode.Internal,
      `unexpected response from ${operationId}: not JSON (${JSON.stringify(preview)})`,
      { operationId },
    );
  }
}
