import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ErrorCode } from '@paddock/core';
import { assertRejectsWith, runEvent, runRunEventLogContract, within } from '@paddock/testkit';
import { openSqliteRunEventLog, openSqliteStore, type SqliteRunEventLog } from './index.ts';

const execFileAsync = promisify(execFile);
const INDEX_URL = new URL('./index.ts', import.meta.url).href;

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-run-events-'));
  dirs.push(dir);
  return join(dir, 'paddock.db');
}

runRunEventLogContract('sqlite', async () => {
  const path = tempPath();
  const handles: SqliteRunEventLog[] = [await openSqliteRunEventLog({ path, pollIntervalMs: 10 })];
  const [log] = handles;
  assert.ok(log);
  return {
    log,
    connect: async () => {
      const handle = await openSqliteRunEventLog({ path, pollIntervalMs: 10 });
      handles.push(handle);
      return handle;
    },
    cleanup: async () => {
      for (const handle of handles) await handle.close();
    },
  };
});

/** A child process appending `batches` batches of two events to `run`, from `startAt` (epoch ms). */
function appender(path: string, tag: string, batches: number, startAt: number): Promise<unknown> {
  const script = `
    import { openSqliteRunEventLog } from ${JSON.stringify(INDEX_URL)};
    const log = await openSqliteRunEventLog({ path: ${JSON.stringify(path)} });
    const event = (message) => ({ v: 1, ts: new Date().toISOString(), type: 'log', level: 'info', message });
    await new Promise((resolve) => setTimeout(resolve, ${startAt} - Date.now())); // all start together
    for (let i = 0; i < ${batches}; i += 1) {
      await log.append('run', [event('${tag}' + i + 'a'), event('${tag}' + i + 'b')], { sourceOffset: i });
    }
    await log.close();`;
  return execFileAsync(process.execPath, ['--input-type=module', '-e', script]);
}

describe('SqliteRunEventLog', { timeout: 60_000 }, () => {
  it('numbers appends from several processes without gaps, each batch contiguous', async () => {
    const path = tempPath();
    const log = await openSqliteRunEventLog({ path, pollIntervalMs: 10 });
    try {
      const controller = new AbortController();
      const followed: number[] = [];
      const following = (async () => {
        for await (const event of log.follow('run', 0, controller.signal)) {
          followed.push(event.seq);
          if (followed.length === 3 * 2 * 40) controller.abort();
        }
      })();
      const startAt = Date.now() + 1_000;
      await Promise.all(['A', 'B', 'C'].map((tag) => appender(path, tag, 40, startAt)));
      const stored = await log.read('run');
      assert.deepEqual(
        stored.map((e) => e.seq),
        Array.from({ length: 240 }, (_, i) => i + 1),
      );
      for (let i = 0; i < stored.length; i += 2) {
        const [a, b] = [stored[i], stored[i + 1]];
        assert.ok(a?.type === 'log' && b?.type === 'log');
        assert.equal(b.message, a.message.replace(/a$/, 'b'), `events ${i + 1} and ${i + 2}`);
      }
      await within(following, 10_000, 'the follower to see every append');
      assert.deepEqual(
        followed,
        stored.map((e) => e.seq),
      );
    } finally {
      await log.close();
    }
  });

  it('rolls back the events and the cursor together when the transaction fails', async () => {
    const path = tempPath();
    const log = await openSqliteRunEventLog({ path });
    try {
      await log.append('run', [runEvent(1)], { sourceOffset: 5 });
      const raw = new DatabaseSync(path);
      raw.exec(`CREATE TRIGGER fail_third BEFORE INSERT ON run_events WHEN NEW.seq = 3
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
      raw.close();
      // SQLite reports a trigger's RAISE as a constraint failure; the code matters less than
      // what is left behind.
      await assertRejectsWith(
        log.append('run', [runEvent(2), runEvent(3)], { sourceOffset: 50 }),
        ErrorCode.AlreadyExists,
      );
      assert.deepEqual(
        (await log.read('run')).map((e) => e.seq),
        [1],
      );
      assert.deepEqual(await log.cursor('run'), { sourceOffset: 5 });
    } finally {
      await log.close();
    }
  });

  it('keeps events across close and reopen, sharing the store file', async () => {
    const path = tempPath();
    const store = await openSqliteStore({ path });
    const first = await openSqliteRunEventLog({ path });
    await first.append('run', [runEvent(1), runEvent(2)], { sourceOffset: 9 });
    await first.close();
    const second = await openSqliteRunEventLog({ path });
    try {
      assert.deepEqual((await store.list('Sandbox')).items, []);
      assert.equal(await second.lastSeq('run'), 2);
      assert.deepEqual(await second.cursor('run'), { sourceOffset: 9 });
      assert.deepEqual(
        (await second.append('run', [runEvent(3)])).map((e) => e.seq),
        [3],
      );
    } finally {
      await second.close();
      await store.close();
    }
  });

  it('reports a corrupt row as internal instead of returning it', async () => {
    const path = tempPath();
    const log = await openSqliteRunEventLog({ path });
    try {
      await log.append('run', [runEvent(1)]);
      const raw = new DatabaseSync(path);
      raw.exec(`UPDATE run_events SET json = '{"type":"log"}'`);
      raw.close();
      await assertRejectsWith(log.read('run'), ErrorCode.Internal);
    } finally {
      await log.close();
    }
  });

  it('refuses bad options, listing each problem', async () => {
    await assertRejectsWith(
      openSqliteRunEventLog({ path: '', pollIntervalMs: 0 }),
      ErrorCode.ValidationFailed,
      (error) => assert.match(error.message, /path.*pollIntervalMs/),
    );
  });
});
