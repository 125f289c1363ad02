/**
 * An interactive run's input on stdin: JSON Lines (see input-line.ts); `{"type":"end"}` or EOF
 * ends the run.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseInputLine } from './input-line.ts';
import type { MessageQueue } from './message-queue.ts';
import type { TranscriptWriter } from './transcript-writer.ts';

/** Reads `input` line by line into `queue` until `end` or EOF, then closes the queue. */
export async function pumpStdinMessages(
  input: Readable,
  queue: MessageQueue,
  writer: TranscriptWriter,
): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      const parsed = parseInputLine(line, writer);
      if (parsed?.type === 'end') break;
      if (parsed) queue.push(parsed.text);
    }
  } finally {
    lines.close();
    queue.close();
  }
}
