import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { eventually } from '@paddock/testkit';
import { HelperPool, type HelperProcess } from './helper-pool.ts';
import { type Argv, HOST_HELPER, spareWords } from './host-commands.ts';
import { Launcher } from './launcher.ts';
import { skipReason } from './test-sandboxes.ts';

const PERL = '/usr/bin/perl';

/** The helper's `launch` mode with nothing to stage: it execs `command` as it is. */
function catArgv(): Argv {
  return { file: PERL, args: [HOST_HELPER, ...spareWords(), 'launch', '--', '/bin/cat'] };
}

function parentOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]);
}

/** The launcher helper this process started (`paddock-launcher`, a child of this process). */
function launcherPid(): number {
  const [pid] = readdirSync('/proc').filter((entry) => {
    try {
      return (
        readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith('paddock-launcher') &&
        parentOf(Number(entry)) === process.pid
      );
    } catch {
      return false;
    }
  });
  assert.ok(pid !== undefined, 'a launcher of this process');
  return Number(pid);
}

function exitOf(helper: HelperProcess): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve) => helper.once('exit', (code, signal) => resolve([code, signal])));
}

async function textOf(stream: NodeJS.ReadableStream | null): Promise<string> {
  assert.ok(stream);
  return new Response(Readable.toWeb(stream as Readable) as ReadableStream).text();
}

describe('exec helper pool', { skip: skipReason ?? false }, () => {
  const launcher = new Launcher(PERL, HOST_HELPER);
  const pool = new HelperPool(PERL, HOST_HELPER, launcher);
  after(() => {
    pool.close();
    launcher.close();
  });

  it('runs a helper on a spare the launcher forked: no fork of Node, stdio and exit piped', async () => {
    pool.refill();
    await eventually(() => pool.idle >= 2, { what: 'two spares ready' });
    const helper = await pool.take(catArgv());
    assert.equal(pool.idle, 1);
    const pid = helper.pid ?? 0;
    assert.equal(parentOf(pid), launcherPid(), 'a fork of the launcher, not of this process');
    const exit = exitOf(helper);
    helper.stdin?.end('through a spare\n');
    assert.equal(await textOf(helper.stdout), 'through a spare\n');
    assert.deepEqual(await exit, [0, null]);
    assert.deepEqual([helper.exitCode, helper.signalCode], [0, null]);
  });

  it('reports a helper killed from outside as killed by that signal', async () => {
    await eventually(() => pool.idle >= 1, { what: 'a spare ready' });
    const helper = await pool.take(catArgv());
    const exit = exitOf(helper);
    // Its process group, as a timeout kills it: the helper and what it runs.
    process.kill(-(helper.pid ?? 0), 'SIGKILL');
    assert.deepEqual(await exit, [null, 'SIGKILL']);
    helper.stdin?.destroy();
  });

  it('skips spares that ended while idle, and has the launcher fork one when none is left', async () => {
    pool.refill();
    await eventually(() => pool.idle >= 2, { what: 'spares ready' });
    const launcher = launcherPid();
    const spares = readdirSync('/proc').filter((entry) => {
      try {
        return /^\d+$/.test(entry) && parentOf(Number(entry)) === launcher;
      } catch {
        return false;
      }
    });
    assert.ok(spares.length >= 2, `the idle spares are the launcher's children (${spares})`);
    for (const pid of spares) process.kill(Number(pid), 'SIGKILL');
    await eventually(() => spares.every((pid) => !readdirSync('/proc').includes(pid)), {
      what: 'the spares gone',
    });
    const helper = await pool.take(catArgv());
    assert.equal(pool.idle, 0);
    assert.equal(parentOf(helper.pid ?? 0), launcher, 'forked by the launcher for this exec');
    const exit = exitOf(helper);
    helper.stdin?.end('forked\n');
    assert.equal(await textOf(helper.stdout), 'forked\n');
    assert.deepEqual(await exit, [0, null]);
  });

  it('without a launcher, spawns a helper that makes its own pipes, never socket pairs', async () => {
    const alone = new HelperPool(PERL, HOST_HELPER);
    const helper = await alone.take({ file: '/bin/sh', args: ['-c', 'cat; ls -l /proc/$$/fd/'] });
    assert.equal(parentOf(helper.pid ?? 0), process.pid, 'spawned by this process');
    const exit = exitOf(helper);
    helper.stdin?.end('spawned\n');
    const said = await textOf(helper.stdout);
    assert.match(said, /^spawned\n/);
    for (const fd of [0, 1, 2]) assert.match(said, new RegExp(` ${fd} -> pipe:`), said);
    assert.doesNotMatch(said, /socket:/);
    assert.deepEqual(await exit, [0, null]);
  });
});
