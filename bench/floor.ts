// The floor: what bubblewrap itself costs, with the same namespaces Paddock uses and nothing else.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { processTree } from './memory.ts';
import { elapsedMs } from './stats.ts';

/** A minimal bwrap command line with every namespace new, the sandbox user and a read-only /usr. */
export function floorArgs(hostname: string, command: string[]): string[] {
  const args = [
    '--unshare-all',
    '--unshare-user',
    '--uid',
    '1000',
    '--gid',
    '1000',
    '--hostname',
    hostname,
  ];
  args.push('--new-session', '--cap-drop', 'ALL', '--clearenv', '--ro-bind', '/usr', '/usr');
  for (const dir of ['bin', 'lib', 'lib64', 'sbin']) {
    if (existsSync(`/${dir}`)) args.push('--symlink', `usr/${dir}`, `/${dir}`);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--', ...command);
  return args;
}

/** Time from spawning `bwrap … echo hi` to its first byte of output. */
export function floorFirstOutputMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('bwrap', floorArgs('floor', ['/usr/bin/echo', 'hi']), {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let took: number | undefined;
    child.stdout.once('data', () => {
      took = elapsedMs(start);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 && took !== undefined ? resolve(took) : reject(new Error(`bwrap exited ${code}`)),
    );
  });
}

/** Starts N idle bare sandboxes (`sleep infinity`), returning their bwrap pids and a stopper. */
export function startIdleFloor(n: number): { pids: number[]; stop(): void } {
  const children = Array.from({ length: n }, (_, i) =>
    spawn('bwrap', floorArgs(`floor-${i}`, ['/usr/bin/sleep', 'infinity']), {
      stdio: 'ignore',
      detached: true,
    }),
  );
  return {
    pids: children.map((c) => c.pid ?? 0).filter((p) => p > 0),
    // bwrap's --new-session puts the sandbox in its own session: kill each whole tree.
    stop: () => {
      for (const c of children) {
        for (const pid of processTree(c.pid ?? 0).reverse()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
        }
      }
    },
  };
}

/**
 * The spawn-rate floor: `count` bare sandboxes started at most `concurrency` at a time, each
 * counted once it is ready (its shell has printed a line, then it idles as `sleep infinity`);
 * all are killed at the end. Returns sandboxes ready per second and each one's time to ready.
 */
export async function floorSpawnRate(
  count: number,
  concurrency: number,
): Promise<{ perSec: number; latenciesMs: number[] }> {
  const started: number[] = [];
  const latenciesMs: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const opStart = process.hrtime.bigint();
      const child = spawn(
        'bwrap',
        floorArgs(`spawn-${i}`, ['/bin/sh', '-c', 'echo ready; exec sleep infinity']),
        { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
      );
      if (child.pid !== undefined) started.push(child.pid);
      child.once('error', reject);
      child.stdout.once('data', () => {
        latenciesMs.push(elapsedMs(opStart));
        child.stdout.destroy();
        child.unref();
        resolve();
      });
    });
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, async () => {
        for (let i = next++; i < count; i = next++) await one(i);
      }),
    );
    return { perSec: (count / elapsedMs(start)) * 1000, latenciesMs };
  } finally {
    for (const pid of started) {
      for (const p of processTree(pid).reverse()) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {}
      }
    }
  }
}
