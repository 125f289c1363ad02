// Group commit: a write is acknowledged only after a WAL sync that began after its commit, many
// writes share few syncs, and every acknowledged write survives a SIGKILL of its process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { template } from '@paddock/testkit';
import { fileWalSync, GroupCommit, type WalSync } from './group-commit.ts';
import { openSqliteStore } from './index.ts';

const INDEX_URL = new URL('./index.ts', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'paddock-group-commit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function tempPath(): string {
  files += 1;
  return join(dir, `group-${files}.db`);
}

/** A fake sync primitive whose syncs wait until the test releases them, one by one, in order. */
function gatedSync() {
  const log: string[] = [];
  const gates: Array<() => void> = [];
  let started = 0;
  const walSync: WalSync = {
    sync: () => {
      started += 1;
      const n = started;
      log.push(`sync ${n} start`);
      return new Promise<void>((resolve) => {
        gates.push(() => {
          log.push(`sync ${n} end`);
          resolve();
        });
      });
    },
    close: async () => {},
  };
  return {
    log,
    factory: () => walSync,
    get started() {
      return started;
    },
    /** Completes the oldest sync still waiting. */
    release: async () => {
      const gate = gates.shift();
      assert.ok(gate, 'a sync is waiting');
      gate();
      await nextTurn();
    },
  };
}

/** Tracks when a promise settles. */
function watchSettle<T>(promise: Promise<T>, log: string[], label: string) {
  const state = { isSettled: false };
  void promise.then(
    () => {
      state.isSettled = true;
      log.push(`${label} resolved`);
    },
    () => {
      state.isSettled = true;
      log.push(`${label} rejected`);
    },
  );
  return state;
}

/** What this process's open fds point at. */
function openFiles(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

describe('the file sync primitive', () => {
  it('keeps the WAL open, reopens it when replaced, and skips a missing one', async () => {
    const walPath = join(dir, 'replaced.db-wal');
    const walSync = fileWalSync(walPath);
    try {
      await walSync.sync(); // no file yet: nothing to sync
      writeFileSync(walPath, 'first');
      await walSync.sync();
      assert.equal(openFiles().filter((file) => file === walPath).length, 1, 'kept open');
      writeFileSync(`${walPath}.new`, 'second');
      renameSync(`${walPath}.new`, walPath);
      assert.ok(openFiles().includes(`${walPath} (deleted)`), 'still holds the replaced file');
      await walSync.sync();
      assert.ok(!openFiles().includes(`${walPath} (deleted)`), 'let the replaced file go');
      assert.equal(openFiles().filter((file) => file === walPath).length, 1, 'holds the new one');
    } finally {
      await walSync.close();
    }
    assert.equal(openFiles().filter((file) => file.startsWith(walPath)).length, 0, 'closed');
  });
});

describe('group commit', () => {
  it('acknowledges a write only after a sync that began after its commit', async () => {
    const sync = gatedSync();
    const store = await openSqliteStore({ path: tempPath(), walSync: sync.factory });
    try {
      const first = watchSettle(store.create(template('ns', 'a')), sync.log, 'a');
      await nextTurn();
      await nextTurn();
      assert.equal(sync.started, 1, "a's commit started a sync");
      // b commits while a's sync runs: that sync began before b's commit, so it cannot cover b.
      const second = watchSettle(store.create(template('ns', 'b')), sync.log, 'b');
      await nextTurn();
      await nextTurn();
      await store.get('SandboxTemplate', { namespace: 'ns', name: 'b' }); // b is committed
      assert.equal(first.isSettled, false, 'a waits for its sync');
      assert.equal(second.isSettled, false);
      await sync.release();
      assert.equal(first.isSettled, true, 'a is acknowledged after its sync');
      assert.equal(second.isSettled, false, 'b is not acknowledged by the sync that began before');
      assert.equal(sync.started, 2, "b's sync starts when the first ends");
      await sync.release();
      assert.equal(second.isSettled, true);
      const at = (entry: string) => sync.log.indexOf(entry);
      assert.ok(at('sync 1 end') < at('a resolved'), sync.log.join(', '));
      assert.ok(at('sync 2 end') < at('b resolved'), sync.log.join(', '));
    } finally {
      await store.close();
    }
  });

  it('wakes a watch at the commit when it asks to, every other once the write is durable', async () => {
    const sync = gatedSync();
    const store = await openSqliteStore({ path: tempPath(), walSync: sync.factory });
    const early = store
      .watch('SandboxTemplate', { wakeBeforeDurable: true })
      [Symbol.asyncIterator]();
    const durable = store.watch('SandboxTemplate', {})[Symbol.asyncIterator]();
    try {
      const next = early.next();
      const earlyEvent = watchSettle(next, sync.log, 'early watch');
      const durableEvent = watchSettle(durable.next(), sync.log, 'durable watch');
      const written = watchSettle(store.create(template('ns', 'a')), sync.log, 'a');
      await nextTurn();
      await nextTurn();
      assert.equal(earlyEvent.isSettled, true, 'the early watch has the committed write');
      assert.equal(durableEvent.isSettled, false, 'the other waits for the sync');
      assert.equal(written.isSettled, false, 'the writer too');
      await sync.release();
      assert.equal(written.isSettled, true);
      assert.equal(durableEvent.isSettled, true);
      assert.equal((await next).value?.object.metadata.name, 'a');
    } finally {
      await early.return?.();
      await durable.return?.();
      await store.close();
    }
  });

  it('lets writes committed while a sync runs share the next one', async () => {
    const sync = gatedSync();
    const store = await openSqliteStore({ path: tempPath(), walSync: sync.factory });
    try {
      const writes = [store.create(template('ns', 'first'))];
      await nextTurn();
      // 40 writes, each in a turn of its own (each its own transaction), while sync 1 runs.
      for (let i = 0; i < 40; i += 1) {
        writes.push(store.create(template('ns', `t-${i}`)));
        await nextTurn();
      }
      const all = Promise.all(writes);
      await sync.release();
      await sync.release();
      assert.equal((await all).length, 41);
      assert.equal(sync.started, 2, '41 commits, 2 syncs');
    } finally {
      await store.close();
    }
  });

  it('lets a commit wait for any sync begun after it, another writer’s too (durableAfter)', async () => {
    const gated = gatedSync();
    const group = new GroupCommit(gated.factory());
    const log: string[] = [];
    // Committed, then another writer's sync begins: it serves, no sync of its own.
    const mark = group.syncs;
    const theirs = watchSettle(group.durable(), log, 'theirs');
    const mine = watchSettle(group.durableAfter(mark), log, 'mine');
    await gated.release();
    assert.deepEqual([theirs.isSettled, mine.isSettled, gated.started], [true, true, 1]);
    // That sync succeeded: nothing to wait for.
    const again = watchSettle(group.durableAfter(mark), log, 'again');
    await nextTurn();
    assert.deepEqual([again.isSettled, gated.started], [true, 1]);
    // Committed while a sync runs: that one began before the commit, the next one serves.
    const running = watchSettle(group.durable(), log, 'running');
    const late = watchSettle(group.durableAfter(group.syncs), log, 'late');
    await gated.release();
    assert.deepEqual([running.isSettled, late.isSettled, gated.started], [true, false, 3]);
    await gated.release();
    assert.equal(late.isSettled, true);
    assert.deepEqual(log, [
      'theirs resolved',
      'mine resolved',
      'again resolved',
      'running resolved',
      'late resolved',
    ]);
  });

  it('rejects the writes of a failed sync with internal, after their commit', async () => {
    const failing: WalSync = {
      sync: async () => {
        throw new Error('EIO: i/o error, fdatasync');
      },
      close: async () => {},
    };
    const store = await openSqliteStore({ path: tempPath(), walSync: () => failing });
    try {
      await assert.rejects(
        store.create(template('ns', 'x')),
        (error: { code?: string; message?: string }) =>
          error.code === 'internal' &&
          /syncing the write-ahead log failed/.test(error.message ?? ''),
      );
    } finally {
      await store.close();
    }
  });

  it('keeps every acknowledged write when its process is killed (SIGKILL)', async () => {
    const path = tempPath();
    // The child creates templates forever, 8 at a time, printing each name once acknowledged.
    const script = `
      import { openSqliteStore, openSqliteAuditLog } from ${JSON.stringify(INDEX_URL)};
      const store = await openSqliteStore({ path: ${JSON.stringify(path)} });
      const audit = await openSqliteAuditLog({ path: ${JSON.stringify(path)} });
      let n = 0;
      const worker = async () => {
        for (;;) {
          const name = 't-' + (n += 1);
          await store.create({ apiVersion: 'paddock.dev/v1alpha1', kind: 'SandboxTemplate',
            metadata: { name, namespace: 'ns' }, spec: {} });
          await audit.append({ id: name, time: new Date().toISOString(), requestId: name, actor: 'child',
            action: 'create', result: 'success', target: name });
          process.stdout.write(name + '\\n');
        }
      };
      for (let i = 0; i < 8; i += 1) void worker();`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged: string[] = [];
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`the child exited early (${code})`)));
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        acknowledged.push(...lines);
        if (acknowledged.length >= 200) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const store = await openSqliteStore({ path });
    const { openSqliteAuditLog } = await import('./index.ts');
    const audit = await openSqliteAuditLog({ path });
    try {
      const listed = await store.list('SandboxTemplate', { namespace: 'ns' });
      const names = new Set(listed.items.map((item) => item.metadata.name));
      const audited = new Set<string>();
      for (let page = await audit.query({ limit: 1000 }); ; ) {
        for (const record of page.items) audited.add(record.id);
        if (page.continue === undefined) break;
        page = await audit.query({ limit: 1000, continue: page.continue });
      }
      const lost = acknowledged.filter((name) => !names.has(name) || !audited.has(name));
      assert.deepEqual(lost, [], 'every acknowledged write is there after the kill');
      assert.ok(names.size >= acknowledged.length);
    } finally {
      await audit.close();
      await store.close();
    }
  });
});
