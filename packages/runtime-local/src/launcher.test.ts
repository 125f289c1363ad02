import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { eventually } from '@paddock/testkit';
import { bindCommand, HOST_HELPER, type HostBinaries, launchCommand } from './host-commands.ts';
import { type Launched, Launcher } from './launcher.ts';
import { identify, isAlive } from './process-identity.ts';
import { skipReason } from './test-sandboxes.ts';

const bin: HostBinaries = { bash: '/bin/bash', perl: '/usr/bin/perl', bwrap: '/usr/bin/bwrap' };

/** A bare sandbox whose anchor idles, reporting on `--info-fd 3` as the runtime's do. */
function sandboxArgv(extra: string[] = []) {
  const usr = ['--ro-bind', '/usr', '/usr'];
  for (const dir of ['bin', 'lib', 'lib64']) {
    if (existsSync(`/${dir}`)) usr.push('--symlink', `usr/${dir}`, `/${dir}`);
  }
  return launchCommand({
    bin,
    procs: [],
    sandboxDir: '/',
    rlimits: [],
    keep: [3],
    bwrapArgs: [
      '--unshare-all',
      '--new-session',
      '--info-fd',
      '3',
      ...usr,
      '--proc',
      '/proc',
      ...extra,
      '--',
      'sleep',
      'infinity',
    ],
  });
}

/**
 * Ends a sandbox the launcher started: its init (pid 1 of its pid namespace: the kernel ends every
 * process in it) and bwrap. The init leads a session of its own (`--new-session`), so killing
 * bwrap's process group alone would leave the sandbox running.
 */
async function stop({ monitorPid, initPid }: Launched): Promise<void> {
  const init = identify(initPid);
  process.kill(initPid, 'SIGKILL');
  process.kill(-monitorPid, 'SIGKILL');
  await eventually(() => init === undefined || !isAlive(init), { what: 'the sandbox ended' });
}

describe('launcher', { skip: skipReason ?? false }, () => {
  const launcher = new Launcher(bin.perl, HOST_HELPER);
  after(() => launcher.close());

  it('answers with bwrap and its init once the anchor runs, concurrently', async () => {
    const started = await Promise.all([1, 2, 3].map(() => launcher.launch(sandboxArgv(), 'test')));
    try {
      for (const { monitorPid, initPid } of started) {
        const init = identify(initPid);
        assert.ok(init !== undefined && isAlive(init));
        // The init has forked the anchor, which runs sleep.
        const children = readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').trim();
        assert.notEqual(children, '');
        assert.ok(identify(monitorPid) !== undefined);
      }
    } finally {
      for (const launched of started) await stop(launched);
    }
  });

  it('rejects with what bwrap said when it cannot start, and keeps serving', async () => {
    await assert.rejects(
      launcher.launch(sandboxArgv(['--ro-bind', '/no/such/dir', '/x']), 'sandbox t/x'),
      (error) =>
        isPaddockError(error, 'runtime_unavailable') &&
        /^sandbox t\/x: .*\/no\/such\/dir/.test(error.message),
    );
    const again = await launcher.launch(sandboxArgv(), 'test');
    await stop(again);
  });

  it("does a launch's steps first, in order, and starts nothing after a failed one", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launch-steps-'));
    try {
      const bound = join(dir, 'made', 'bound');
      writeFileSync(join(dir, 'limit'), 'old');
      const started = await launcher.launch(sandboxArgv(), 'test', [
        { op: 'mkdir', path: join(dir, 'made'), mode: 0o711 },
        { op: 'mkdir', path: join(dir, 'made'), mode: 0o700, owner: 4242 }, // kept, chowned
        { op: 'write', path: bound, mode: 0o644, text: 'first\n' },
        { op: 'write', path: bound, mode: 0o600, text: 'two' }, // in place: same inode and mode
        { op: 'replace', path: join(dir, 'state.json'), text: '{"a":"b c\nd"}\n' },
        { op: 'set', path: join(dir, 'limit'), value: '512' },
        { op: 'touch', path: join(dir, 'touched'), mode: 0o640, seconds: 0 },
        { op: 'touch', path: join(dir, 'limit'), mode: 0o600, seconds: 1000 }, // kept as it is
      ]);
      await stop(started);
      const made = statSync(join(dir, 'made'));
      assert.equal(made.mode & 0o777, 0o711);
      assert.equal(made.uid, process.getuid?.() === 0 ? 4242 : made.uid);
      assert.equal(readFileSync(bound, 'utf8'), 'two');
      assert.equal(statSync(bound).mode & 0o777, 0o644);
      assert.equal(readFileSync(join(dir, 'state.json'), 'utf8'), '{"a":"b c\nd"}\n');
      assert.equal(statSync(join(dir, 'state.json')).mode & 0o777, 0o600);
      assert.equal(readFileSync(join(dir, 'limit'), 'utf8'), '512');
      assert.equal(statSync(join(dir, 'touched')).mtimeMs, 0);
      assert.equal(statSync(join(dir, 'touched')).mode & 0o777, 0o640);
      assert.equal(statSync(join(dir, 'limit')).mtimeMs, 1_000_000);
      assert.deepEqual(readdirSync(dir).sort(), ['limit', 'made', 'state.json', 'touched']);

      // A control file that refuses the value gets `alt` first, then again (here: refused again).
      await assert.rejects(
        launcher.launch(sandboxArgv(), 'test', [
          { op: 'set', path: join(dir, 'made'), value: '7', alt: join(dir, 'limit') },
          { op: 'write', path: join(dir, 'after'), mode: 0o644, text: 'x' },
        ]),
        (error: NodeJS.ErrnoException) =>
          error.code === 'EISDIR' && error.message.includes(join(dir, 'made')),
      );
      assert.equal(readFileSync(join(dir, 'limit'), 'utf8'), '7');
      assert.equal(existsSync(join(dir, 'after')), false, 'nothing after the failed step');
      await assert.rejects(
        launcher.launch(sandboxArgv(), 'test', [
          { op: 'mkdir', path: join(dir, 'limit', 'x'), mode: 0o700 },
        ]),
        (error: NodeJS.ErrnoException) => error.code === 'ENOTDIR',
      );
      await assert.rejects(
        launcher.launch(sandboxArgv(), 'test', [{ op: 'replace', path: dir, text: '\0' }]),
        /NUL/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a one-shot helper command and rejects with what it said when it fails', async () => {
    const started = await launcher.launch(sandboxArgv(), 'test');
    const source = mkdtempSync(join(tmpdir(), 'paddock-launcher-bind-'));
    try {
      writeFileSync(join(source, 'seen'), 'from the host');
      const bind = (anchorPid: number) =>
        bindCommand(bin, { anchorPid, source, dest: '/bound', replace: false });
      await launcher.run(bind(started.initPid), 'bind');
      assert.equal(
        readFileSync(`/proc/${started.initPid}/root/bound/seen`, 'utf8'),
        'from the host',
      );
      const gone = 2 ** 22 + 1; // above pid_max: never a process
      await assert.rejects(
        launcher.run(bind(gone), 'bind'),
        (error) =>
          isPaddockError(error, 'runtime_unavailable') &&
          error.message.startsWith('bind: ') &&
          error.message.includes(`/proc/${gone}/ns/mnt`),
      );
    } finally {
      await stop(started);
      rmSync(source, { recursive: true, force: true });
    }
  });

  it('starts again after its helper ended', async () => {
    await stop(await launcher.launch(sandboxArgv(), 'test'));
    const helpers = readdirSync('/proc').filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('paddock-launcher') &&
          /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ===
            String(process.pid)
        );
      } catch {
        return false;
      }
    });
    assert.equal(helpers.length, 1, 'one launcher helper, a child of this process');
    const pid = Number(helpers[0]);
    process.kill(pid, 'SIGKILL');
    // Gone from /proc means reaped, by this process: the launcher has seen it end. A zombie is
    // not enough: a launch written to it before Node reaps it fails with "the launcher ended".
    await eventually(() => !existsSync(`/proc/${pid}`), { what: 'the launcher helper reaped' });
    await stop(await launcher.launch(sandboxArgv(), 'test'));
  });
});
