// The checkpointer's worker thread (see `checkpointer.ts`): its own connection to the database,
// running each requested `PRAGMA wal_checkpoint` off the main event loop, one at a time.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { configureConnection } from './schema.ts';

const WorkerData = z.object({ databasePath: z.string().min(1), busyTimeoutMs: z.int().min(0) });
const CheckpointRequest = z.object({
  mode: z.enum(['PASSIVE', 'TRUNCATE']),
  /** The last request: close the connection after it. */
  isFinal: z.boolean(),
});
const CheckpointRow = z.object({ busy: z.int(), log: z.int(), checkpointed: z.int() });

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker.ts runs only as a worker thread');
const { databasePath, busyTimeoutMs } = WorkerData.parse(workerData);
const db = new DatabaseSync(databasePath);
// As every connection to the file (a PASSIVE checkpoint never waits; the busy timeout bounds
// only the final TRUNCATE's wait; at NORMAL a checkpoint still syncs the WAL and the database).
configureConnection(db, busyTimeoutMs);

port.on('message', (message: unknown) => {
  const request = CheckpointRequest.parse(message);
  let reply: unknown;
  try {
    reply = CheckpointRow.parse(db.prepare(`PRAGMA wal_checkpoint(${request.mode})`).get());
  } catch (error) {
    const { errcode, code } = error as { errcode?: unknown; code?: unknown };
    reply = {
      error: {
        message: error instanceof Error ? error.message : String(error),
        errcode: typeof errcode === 'number' ? errcode : undefined,
        code: typeof code === 'string' ? code : undefined,
      },
    };
  }
  if (request.isFinal) db.close();
  port.postMessage(reply);
});
