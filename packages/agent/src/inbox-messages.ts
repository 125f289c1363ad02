/**
 * An interactive run's input as an inbox directory (config `inbox`): each message is one file
 * `<name>.json` holding input lines (see input-line.ts), taken in name order, each once, and
 * removed once read. Names starting with `.` are skipped, so a writer can write `.<id>` and rename
 * it into place (the harness never reads half a message). `{"type":"end"}` ends the run.
 */
import { watch } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, TranscriptEventType } from '@paddock/core';
import { parseInputLine } from './input-line.ts';
import type { MessageQueue } from './message-queue.ts';
import { errorMessage } from './tools/tool.ts';
import type { TranscriptWriter } from './transcript-writer.ts';

/** A rescan even without a change notification (some filesystems send none). */
const RESCAN_MS = 500;

function changedOrRescan(dir: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      watcher?.close();
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, RESCAN_MS);
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(dir, finish);
      watcher.on('error', finish);
    } catch {
      watcher = undefined;
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

/** Moves inbox messages into `queue` until `end` or the signal, then closes the queue. */
export async function pumpInboxMessages(
  dir: string,
  queue: MessageQueue,
  writer: TranscriptWriter,
  signal: AbortSignal,
): Promise<void> {
  const seen = new Set<string>();
  try {
    await mkdir(dir, { recursive: true });
    while (!signal.aborted) {
      const names = (await readdir(dir))
        .filter((name) => name.endsWith('.json') && !name.startsWith('.') && !seen.has(name))
        .sort();
      for (const name of names) {
        seen.add(name);
        const path = join(dir, name);
        const content = await readFile(path, 'utf8');
        await rm(path, { force: true }).catch(() => undefined);
        for (const line of content.split('\n')) {
          const parsed = parseInputLine(line, writer);
          if (parsed?.type === 'end') return;
          if (parsed) queue.push(parsed.text);
        }
      }
      await changedOrRescan(dir, signal);
    }
  } catch (error) {
    writer.emit({
      type: TranscriptEventType.Error,
      code: ErrorCode.Internal,
      message: `reading the inbox ${dir} failed: ${errorMessage(error)}`,
    });
  } finally {
    queue.close();
  }
}
