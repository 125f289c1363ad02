/**
 * One line of an interactive run's input, from stdin or an inbox file:
 * `{"type":"message","text":"…"}` for a user message, `{"type":"end"}` to end the run. A bad line
 * is reported as an `error` event (`validation_failed`) and skipped.
 */
import { ErrorCode, fieldIssues, TranscriptEventType } from '@paddock/core';
import { z } from 'zod';
import type { TranscriptWriter } from './transcript-writer.ts';

export const InputLine = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('message'), text: z.string().min(1) }),
  z.strictObject({ type: z.literal('end') }),
]);
export type InputLine = z.infer<typeof InputLine>;

/** The line's message or end; undefined (after an `error` event) when it is blank or invalid. */
export function parseInputLine(line: string, writer: TranscriptWriter): InputLine | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    writer.emit({
      type: TranscriptEventType.Error,
      code: ErrorCode.ValidationFailed,
      message: 'input line is not JSON',
    });
    return undefined;
  }
  const parsed = InputLine.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  writer.emit({
    type: TranscriptEventType.Error,
    code: ErrorCode.ValidationFailed,
    message: `invalid input line: ${issues}`,
  });
  return undefined;
}
