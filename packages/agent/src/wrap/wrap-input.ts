/**
 * An interactive run's later messages passed on to a wrapped CLI that reads them on stdin (Claude
 * Code with `--input-format stream-json`): each inbox message (see inbox-messages.ts) is written
 * to the transcript as `message.user` and to the CLI as one stream-json line; `{"type":"end"}` (or
 * the signal: the CLI exited, the run was stopped) closes the CLI's stdin, after which the CLI
 * finishes the turn it is on and exits.
 */
import type { Writable } from 'node:stream';
import { pumpInboxMessages } from '../inbox-messages.ts';
import { MessageQueue } from '../message-queue.ts';
import type { WrapSession } from './wrap-session.ts';

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) {
      resolve();
      return;
    }
    // A CLI that exited mid-write fails the write; the exit ends the run, not this.
    stream.write(text, () => resolve());
  });
}

/** Forwards the inbox `dir` to `stdin` as `line(text)` until the end message or `signal`. */
export async function forwardInbox(
  dir: string,
  stdin: Writable,
  session: WrapSession,
  line: (text: string) => string,
  signal: AbortSignal,
): Promise<void> {
  const queue = new MessageQueue();
  const pumping = pumpInboxMessages(dir, queue, session.writer, signal);
  try {
    for (;;) {
      const text = await queue.next(signal);
      if (text === undefined) break;
      session.userMessage(text);
      await write(stdin, line(text));
    }
  } finally {
    await pumping;
    stdin.end();
  }
}
