// The leak check itself: it finds a process that names the run's directory, by its command line
// or only by its environment, and nothing once that process is gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { leftoversOf, sandboxProcessesSince, ticksSinceBoot } from '../leak-check.ts';

it('finds processes that name the directory, by command line or environment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-leak-probe-'));
  const idle = ['-e', 'setTimeout(() => {}, 30_000)'];
  const byCommand = spawn(process.execPath, [...idle, dir], { stdio: 'ignore' });
  const byEnvironment = spawn(process.execPath, idle, { stdio: 'ignore', env: { PROBE_DIR: dir } });
  try {
    const found = leftoversOf(dir).processes.map((p) => p.pid);
    assert.ok(found.includes(byCommand.pid ?? -1), 'named in its command line');
    assert.ok(found.includes(byEnvironment.pid ?? -1), 'named in its environment only');
  } finally {
    byCommand.kill('SIGKILL');
    byEnvironment.kill('SIGKILL');
    await Promise.all([once(byCommand, 'exit'), once(byEnvironment, 'exit')]);
  }
  assert.deepEqual(leftoversOf(dir), { processes: [], mounts: [] });
  rmSync(dir, { recursive: true, force: true });
});

it("finds this run's sandbox processes started since it began, and not another run's", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-leak-probe-'));
  const since = ticksSinceBoot();
  // A process naming the run's directory starts a sandbox anchor that names nothing.
  const parent = spawn(
    process.execPath,
    [
      '-e',
      "const c = require('node:child_process').spawn('sleep', ['infinity'], { stdio: 'ignore', env: {} }); console.log(c.pid); setTimeout(() => {}, 30_000)",
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const [line] = (await once(parent.stdout, 'data')) as [Buffer];
  const anchor = Number(line.toString().trim());
  // Another run's anchor: started meanwhile, descending from nothing that names the directory.
  const others = spawn('sleep', ['infinity'], { stdio: 'ignore', env: {} });
  try {
    const found = sandboxProcessesSince(since, dir).map((p) => p.pid);
    assert.ok(found.includes(anchor), "this run's anchor, named nowhere itself");
    assert.ok(!found.includes(others.pid ?? -1), "not another run's");
    assert.ok(!sandboxProcessesSince(ticksSinceBoot() + 1000, dir).some((p) => p.pid === anchor));
  } finally {
    process.kill(anchor, 'SIGKILL');
    parent.kill('SIGKILL');
    others.kill('SIGKILL');
    await Promise.all([once(parent, 'exit'), once(others, 'exit')]);
  }
  rmSync(dir, { recursive: true, force: true });
});

/**
 * An output relay in miniature: orphaned at its start, named `paddock-relay`, with no
 * environment; it holds `DIR/stdout` open (`file`), or only a pipe whose other end its starter,
 * named by `DIR`, keeps (`pipe`), or nothing of DIR's (`none`). Prints the relay's pid.
 */
const RELAY = `
my ($mode, $dir) = @ARGV;
pipe(my $r, my $w) or die;
my $pid = fork // die;
if ($pid == 0) {
  exit 0 if fork;
  $0 = 'paddock-relay';
  close $w;
  if ($mode eq 'file') { open(my $out, '>>', "$dir/stdout") or die; push @keep, $out }
  print STDOUT "$$\\n";
  close STDOUT;
  sleep 30;
  exit 0;
}
waitpid($pid, 0);
close $r;
sleep 30 if $mode eq 'pipe';
`;

async function startRelay(mode: 'file' | 'pipe' | 'none', dir: string) {
  const starter = spawn('perl', ['-e', RELAY, mode, dir], {
    env: {},
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [line] = (await once(starter.stdout, 'data')) as [Buffer];
  return { starter, relay: Number(line.toString().trim()) };
}

it("finds this run's output relays by the files and pipes they hold, not another run's", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-leak-probe-'));
  const since = ticksSinceBoot();
  const started = await Promise.all([
    startRelay('file', dir),
    startRelay('pipe', dir),
    startRelay('none', dir),
  ]);
  const [byFile, byPipe, others] = started.map((s) => s.relay);
  // The other run's starter has left (it named the directory, and held the relay's pipe).
  const left = started[2]?.starter;
  if (left !== undefined && left.exitCode === null) await once(left, 'exit');
  try {
    const named = leftoversOf(dir).processes.map((p) => p.pid);
    assert.ok(!named.includes(byFile ?? -1), 'a relay names nothing itself');
    const found = sandboxProcessesSince(since, dir).map((p) => p.pid);
    assert.ok(found.includes(byFile ?? -1), 'the relay holding its job output below the run');
    assert.ok(found.includes(byPipe ?? -1), 'the relay sharing a pipe with its chain');
    assert.ok(!found.includes(others ?? -1), "not another run's relay");
  } finally {
    for (const { starter, relay } of started) {
      process.kill(relay, 'SIGKILL');
      starter.kill('SIGKILL');
    }
    await Promise.all(
      started.map(({ starter }) =>
        starter.exitCode === null && starter.signalCode === null
          ? once(starter, 'exit')
          : undefined,
      ),
    );
  }
  rmSync(dir, { recursive: true, force: true });
});

it("finds this run's sandbox whose starter is gone by the file it holds below the run, deleted or not", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-leak-probe-'));
  const since = ticksSinceBoot();
  // A bwrap left running by a server that stopped: init's child, no environment, staged paths;
  // it holds its status file below the run (here a `sleep infinity` with one descriptor on it).
  const orphan = (holds: string) =>
    spawn(
      'perl',
      [
        '-e',
        'exit 0 if fork; $^F = 10; open(my $f, ">>", $ARGV[0]) or die; print STDOUT "$$\\n"; close STDOUT; exec "sleep", "infinity"',
        holds,
      ],
      { env: {}, stdio: ['ignore', 'pipe', 'ignore'] },
    );
  const pidOf = async (starter: ReturnType<typeof spawn>) => {
    const [line] = (await once(starter.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    return Number(line.toString().trim());
  };
  const outside = mkdtempSync(join(tmpdir(), 'paddock-leak-other-'));
  const ours = await pidOf(orphan(join(dir, 'status')));
  const theirs = await pidOf(orphan(join(outside, 'status')));
  try {
    rmSync(join(dir, 'status'));
    const found = sandboxProcessesSince(since, dir).map((p) => p.pid);
    assert.ok(found.includes(ours), 'the orphan holding a (deleted) file below the run');
    assert.ok(!found.includes(theirs), "not one holding another run's file");
  } finally {
    process.kill(ours, 'SIGKILL');
    process.kill(theirs, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});
