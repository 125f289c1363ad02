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

it('finds a sandbox process started since the run began, whatever it names, and not one before', async () => {
  const since = ticksSinceBoot();
  const anchor = spawn('sleep', ['infinity'], { stdio: 'ignore', env: {} });
  const other = spawn('sleep', ['300'], { stdio: 'ignore' });
  try {
    const found = sandboxProcessesSince(since).map((p) => p.pid);
    assert.ok(found.includes(anchor.pid ?? -1), 'a sandbox anchor, named nowhere');
    assert.ok(!found.includes(other.pid ?? -1), 'not a process of another shape');
    assert.ok(!sandboxProcessesSince(ticksSinceBoot() + 1000).some((p) => p.pid === anchor.pid));
  } finally {
    anchor.kill('SIGKILL');
    other.kill('SIGKILL');
    await Promise.all([once(anchor, 'exit'), once(other, 'exit')]);
  }
  assert.ok(!sandboxProcessesSince(since).some((p) => p.pid === anchor.pid), 'gone once ended');
});
