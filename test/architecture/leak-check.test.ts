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
