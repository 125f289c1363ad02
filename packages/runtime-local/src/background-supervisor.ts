/**
 * The supervisor of one background process: a small detached Node program, so the process
 * outlives the Paddock instance that started it. It runs the host chain recorded in
 * `<dir>/launch.json` with its output appended to `<dir>/stdout` and `<dir>/stderr`, enforces
 * the timeout, and writes the exit status to `<dir>/exit.json` (atomically) when it ends.
 *
 * Usage: node background-supervisor.ts <process dir>
 */
import { spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BackgroundExit, BackgroundLaunch } from './background-files.ts';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: background-supervisor <process dir>\n');
  process.exit(2);
}
const launch = BackgroundLaunch.parse(JSON.parse(readFileSync(join(dir, 'launch.json'), 'utf8')));

function writeJson(name: string, value: unknown): void {
  const temp = join(dir as string, `.${name}.tmp`);
  writeFileSync(temp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  renameSync(temp, join(dir as string, name));
}

// Terminal signals to the supervisor do not end it: the process it watches decides.
for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});

const stdout = openSync(join(dir, 'stdout'), 'a', 0o600);
const stderr = openSync(join(dir, 'stderr'), 'a', 0o600);
const child = spawn(launch.file, launch.args, {
  env: launch.env,
  stdio: ['ignore', stdout, stderr],
  detached: true,
  cwd: '/',
});
let timedOut = false;
const timer =
  launch.timeoutMs === undefined
    ? undefined
    : setTimeout(() => {
        timedOut = true;
        if (launch.onTimeout)
          spawnSync(launch.onTimeout.file, launch.onTimeout.args, {
            env: launch.env,
            timeout: 10_000,
          });
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group already ended on its own: its exit, about to be reported, is the answer.
        }
      }, launch.timeoutMs);
writeJson('chain.json', { pid: child.pid ?? null });
child.on('error', (error) => {
  writeJson('exit.json', {
    exitCode: 127,
    signal: null,
    timedOut: false,
    finishedAt: new Date().toISOString(),
    message: error.message,
  });
  process.exit(0);
});
child.on('exit', (code, signal) => {
  if (timer) clearTimeout(timer);
  const status: BackgroundExit = {
    exitCode: signal === null ? code : null,
    signal,
    timedOut,
    finishedAt: new Date().toISOString(),
  };
  writeJson('exit.json', status);
  process.exit(0);
});
