import type { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';

/** One invalid field: a dotted path (`spec.resources.cpu`, `spec.env[2].name`) and the problem. */
export type FieldIssue = { path: string; message: string };

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

export function fieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    const full = prefix && path ? `${prefix}.${path}` : prefix || path;
    return { path: full || '(root)', message: issue.message };
  });
}

/**
 * Parses untrusted input at a boundary. On failure throws `validation_failed` whose message names
 * every bad field and whose `details.issues` lists them, so no caller ever sees a zod stack.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  prefix = '',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = fieldIssues(result.error, prefix);
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new PaddockError(ErrorCode.ValidationFailed, `invalid ${what}: ${summary}`, { issues });
}
