import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runningRef } from '@paddock/control';
import { bwrapSkipReason } from '@paddock/testkit';
import {
  FileNotFoundError,
  type FilesystemEvent,
  FilesystemEventType,
  InvalidArgumentError,
  Sandbox,
  SandboxError,
} from 'e2b';
import { E2B_NAMESPACE } from './e2b-sandboxes.ts';
import { ENVD_VERSION } from './e2b-server.ts';
import { type E2bWorld, startE2bWorld, UNKNOWN_SANDBOX } from './e2b-test-support.ts';

/** Waits until `events` holds one matching `check`, or fails after `timeoutMs`. */
async function seen(
  events: FilesystemEvent[],
  check: (e: FilesystemEvent) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!events.some(check)) {
    if (Date.now() > until) assert.fail(`no such event in ${JSON.stringify(events)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('envd filesystem service through the e2b SDK', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  let w: E2bWorld;
  let sbx: Sandbox;

  before(async () => {
    w = await startE2bWorld();
    sbx = await w.restSandbox(w.alice);
  });
  after(async () => {
    await w?.close();
  });

  it('writes, reads, renames and removes a file; exists follows it', async () => {
    const info = await sbx.files.write('notes/a.txt', 'hello');
    assert.deepEqual(
      { name: info.name, type: info.type, path: info.path },
      { name: 'a.txt', type: 'file', path: '/home/user/notes/a.txt' },
    );
    assert.equal(await sbx.files.read('/home/user/notes/a.txt'), 'hello');
    assert.equal(await sbx.files.exists('notes/a.txt'), true);

    const moved = await sbx.files.rename('notes/a.txt', '~/notes/b.txt');
    assert.equal(moved.path, '/home/user/notes/b.txt');
    assert.equal(moved.name, 'b.txt');
    assert.equal(moved.type, 'file');
    assert.equal(await sbx.files.exists('notes/a.txt'), false);
    assert.equal(await sbx.files.read('notes/b.txt'), 'hello');

    await sbx.files.remove('notes/b.txt');
    assert.equal(await sbx.files.exists('notes/b.txt'), false);
    // envd removes like `rm -rf`: what is not there is removed already.
    await sbx.files.remove('notes/b.txt');
    await assert.rejects(sbx.files.rename('notes/b.txt', 'c.txt'), FileNotFoundError);
    await assert.rejects(sbx.files.getInfo('notes/missing'), FileNotFoundError);
  });

  it('tells a file and a directory apart in getInfo, with mode, owner and time', async () => {
    await sbx.files.write('info/f.txt', 'four');
    const file = await sbx.files.getInfo('info/f.txt');
    assert.equal(file.name, 'f.txt');
    assert.equal(file.type, 'file');
    assert.equal(file.path, '/home/user/info/f.txt');
    assert.equal(file.size, 4);
    assert.equal(file.mode, 0o644);
    assert.equal(file.permissions, '-rw-r--r--');
    assert.equal(file.owner, 'user');
    assert.equal(file.group, 'user');
    assert.ok(file.modifiedTime instanceof Date);
    assert.ok(Math.abs((file.modifiedTime?.getTime() ?? 0) - Date.now()) < 60_000);
    assert.equal(file.symlinkTarget, undefined);

    const dir = await sbx.files.getInfo('/home/user/info');
    assert.equal(dir.type, 'dir');
    assert.equal(dir.mode, 0o755);
    assert.equal(dir.permissions, 'drwxr-xr-x');
  });

  it('reports where a symlink points', async () => {
    await sbx.files.write('links/target.txt', 'x');
    const sandbox = await w.s.engine.store.get('Sandbox', {
      namespace: E2B_NAMESPACE,
      name: sbx.sandboxId,
    });
    const ln = await w.s.engine.runtime.exec(runningRef(sandbox), {
      command: ['ln', '-s', 'target.txt', '/home/user/links/link.txt'],
    });
    await ln.stdin.close();
    assert.equal((await ln.exit).exitCode, 0);
    const link = await sbx.files.getInfo('links/link.txt');
    assert.equal(link.type, 'symlink');
    assert.equal(link.symlinkTarget, '/home/user/links/target.txt');
  });

  it('makes directories, false when one is there already', async () => {
    assert.equal(await sbx.files.makeDir('made/deep/er'), true);
    assert.equal(await sbx.files.makeDir('made/deep/er'), false);
    assert.equal((await sbx.files.getInfo('made/deep/er')).type, 'dir');
    await sbx.files.write('made/file', 'x');
    await assert.rejects(sbx.files.makeDir('made/file'), InvalidArgumentError);
  });

  it('lists a directory to a depth, in the order of a sorted walk', async () => {
    await sbx.files.makeDir('tree/b/b2');
    await sbx.files.makeDir('tree/a/a1/deeper');
    await sbx.files.write('tree/file.txt', 'hi');
    const names = (entries: Array<{ path: string }>) =>
      entries.map((e) => e.path.replace('/home/user/tree/', ''));

    const top = await sbx.files.list('tree');
    assert.deepEqual(names(top), ['a', 'b', 'file.txt']);
    assert.deepEqual(
      top.map((e) => e.type),
      ['dir', 'dir', 'file'],
    );
    assert.equal(top[2]?.size, 2);
    assert.deepEqual(names(await sbx.files.list('tree', { depth: 2 })), [
      'a',
      'a/a1',
      'b',
      'b/b2',
      'file.txt',
    ]);
    assert.deepEqual(names(await sbx.files.list('/home/user/tree', { depth: 9 })), [
      'a',
      'a/a1',
      'a/a1/deeper',
      'b',
      'b/b2',
      'file.txt',
    ]);
    await assert.rejects(sbx.files.list('tree/file.txt'), InvalidArgumentError);
    await assert.rejects(sbx.files.list('nowhere'), FileNotFoundError);
  });

  it('watches a directory: a create and a write, recursively when asked', async () => {
    await sbx.files.makeDir('watched/sub');
    await sbx.files.write('watched/old.txt', 'one');
    const events: FilesystemEvent[] = [];
    const handle = await sbx.files.watchDir('watched', (e) => void events.push(e));
    const nested: FilesystemEvent[] = [];
    const deep = await sbx.files.watchDir('watched', (e) => void nested.push(e), {
      recursive: true,
      includeEntry: true,
    });
    try {
      await sbx.files.write('watched/new.txt', 'created');
      await seen(events, (e) => e.type === FilesystemEventType.CREATE && e.name === 'new.txt');
      await sbx.files.write('watched/old.txt', 'written again');
      await seen(events, (e) => e.type === FilesystemEventType.WRITE && e.name === 'old.txt');
      await sbx.files.rename('watched/new.txt', 'watched/renamed.txt');
      await seen(events, (e) => e.type === FilesystemEventType.RENAME && e.name === 'new.txt');
      await seen(events, (e) => e.type === FilesystemEventType.CREATE && e.name === 'renamed.txt');
      await sbx.files.remove('watched/renamed.txt');
      await seen(events, (e) => e.type === FilesystemEventType.REMOVE && e.name === 'renamed.txt');

      await sbx.files.write('watched/sub/inner.txt', 'deep');
      await seen(
        nested,
        (e) =>
          e.type === FilesystemEventType.WRITE &&
          e.name === 'sub/inner.txt' &&
          e.entry?.path === '/home/user/watched/sub/inner.txt',
      );
      // The flat watch does not see below its directory.
      assert.equal(
        events.some((e) => e.name.includes('inner')),
        false,
      );
    } finally {
      await handle.stop();
      await deep.stop();
    }
    await assert.rejects(
      sbx.files.watchDir('not-there', () => {}),
      FileNotFoundError,
    );
    await assert.rejects(
      sbx.files.watchDir('watched/old.txt', () => {}),
      SandboxError,
    );
  });

  it('refuses paths outside the writable roots, a bad path and root', async () => {
    for (const attempt of [
      () => sbx.files.list('/etc'),
      () => sbx.files.getInfo('/etc/passwd'),
      () => sbx.files.makeDir('/usr/local/x'),
      () => sbx.files.list('../../etc'),
    ]) {
      const error = await attempt().then(
        () => assert.fail('not refused'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof SandboxError, String(error));
      assert.match(error.message, /outside the sandbox/);
    }
    await assert.rejects(sbx.files.getInfo('~nobody/x'), InvalidArgumentError);
    await assert.rejects(sbx.files.list('.', { user: 'root' }), /one unprivileged user/);
  });

  it('answers a wrong access token as for a sandbox that does not exist', async () => {
    const Ctor = Sandbox as unknown as new (o: Record<string, unknown>) => Sandbox;
    const stranger = new Ctor({
      ...w.opts(w.alice),
      sandboxId: sbx.sandboxId,
      envdVersion: ENVD_VERSION,
      envdAccessToken: 'not-the-token',
    });
    await assert.rejects(stranger.files.list('.'), UNKNOWN_SANDBOX);
    await assert.rejects(stranger.files.exists('.'), UNKNOWN_SANDBOX);
  });

  it('answers the polled watcher calls of the Python SDK', async () => {
    await sbx.files.makeDir('polled');
    const sandbox = await w.s.engine.store.get('Sandbox', {
      namespace: E2B_NAMESPACE,
      name: sbx.sandboxId,
    });
    const token = (sbx as unknown as { envdAccessToken?: string }).envdAccessToken;
    const rpc = async (method: string, body: unknown) => {
      const res = await fetch(`${w.opts(w.alice).sandboxUrl}/filesystem.Filesystem/${method}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'e2b-sandbox-id': sandbox.metadata.name,
          ...(token === undefined ? {} : { 'x-access-token': token }),
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const created = await rpc('CreateWatcher', { path: 'polled' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const watcherId = created.body.watcherId;
    await sbx.files.write('polled/x.txt', 'x');
    const names: unknown[] = [];
    const until = Date.now() + 10_000;
    while (!names.some((e) => JSON.stringify(e).includes('EVENT_TYPE_CREATE'))) {
      assert.ok(Date.now() < until, JSON.stringify(names));
      const got = await rpc('GetWatcherEvents', { watcherId });
      assert.equal(got.status, 200);
      names.push(...((got.body.events as unknown[]) ?? []));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(names[0], { name: 'x.txt', type: 'EVENT_TYPE_CREATE' });
    assert.equal((await rpc('RemoveWatcher', { watcherId })).status, 200);
    assert.equal((await rpc('GetWatcherEvents', { watcherId })).status, 404);
  });
});
