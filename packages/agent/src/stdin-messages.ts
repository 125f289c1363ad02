/**
 * An interactive run's input: JSON Lines on stdin, `{"type":"message","text":"…"}` for a user
 * message and `{"type":"end"}` to end the run (EOF ends it too). A bad line is reported as an
 * `error` event and skipped.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ErrorCode, fieldIssues, TranscriptEventType } from '@paddock/core';
import { z } from 'zod';
import type { MessageQueue } from './message-queue.ts';
import type { TranscriptWriter } from './transcript-writer.ts';

export const StdinLine = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('message'), text: z.string().min(1) }),
  z.strictObject({ type: z.literal('end') }),
]);

/** Reads `input` line by line into `queue` until `end` or EOF, then closes the queue. */
export async function pumpStdinMessages(
  input: Readable,
  queue: MessageQueue,
  writer: TranscriptWriter,
): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        writer.emit({
          type: TranscriptEventType.Error,
          code: ErrorCode.ValidationFailed,
          message: 'stdin line is not JSON',
        });
        continue;
      }
      const parsed = StdinLine.safeParse(value);
      if (!parsed.success) {
        const issues = fieldIssues(parsed.error)
          .map((i) => `${i.path}: ${i.message}`)
          .join('; ');
        writer.emit({
          type: TranscriptEventType.Error,
          code: ErrorCode.ValidationFailed,
          message: `invalid stdin line: ${issues}`,
        });
        continue;
      }
      if (parsed.data.type === 'end') break;
      queue.push(parsed.data.text);
    }
  } finally {
    lines.close();
    queue.close();
  }
}
