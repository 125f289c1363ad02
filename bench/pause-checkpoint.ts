// Pause to disk of a gVisor sandbox (`pauseMechanism: checkpoint`) by the memory its process
// holds, beside the floor: `runsc checkpoint` (with the `runsc delete` of the ended container)
// and `runsc restore` run by hand on the same container. Paddock adds a `runsc pause` first (so the processes it marks held are the ones in
// the image), the count of those processes, and on resume a supervisor per restored process.
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SandboxRef } from '@paddock/core';
import { createLocalRuntime } from '@paddock/runtime-local';
import { readyHolder } from './holder.ts';
import { elapsedMs, fmtMs, progress, ratio, summarize } from './stats.ts';

const run = promisify(execFile);
const ROUNDS = Number(process.env.PADDOCK_BENCH_CHECKPOINT_ROUNDS ?? 5);
const SIZES_MIB = [0, 64, 256];

/** Holds `mib` MiB of random bytes (runsc compresses its images: zero pages would cost nothing). */
const holder = (mib: number) =>
  `import os, time; b = bytearray(os.urandom(${mib} * 2**20)); print('ready', flush=True); time.sleep(3600)`;

type Row = {
  memoryMiB: number;
  imageMiB: number;
  pauseMs: number;
  resumeMs: number;
  floorCheckpointMs: number;
  floorRestoreMs: number;
  pauseRatio: number;
  resumeRatio: number;
};

async function sizeMiB(dir: string): Promise<number> {
  let bytes = 0;
  for (const name of await readdir(dir)) bytes += statSync(join(dir, name)).size;
  return bytes / 2 ** 20;
}

/** The bare runsc commands on the sandbox's own container (paths as gvisor.ts lays them out). */
async function floorTimes(root: string, ref: SandboxRef) {
  const dir = join(root, ref.namespace, ref.name, 'gvisor');
  const id = `paddock.${ref.namespace}.${ref.name}`;
  const image = join(dir, 'bench-image');
  const state = `--root=${join(dir, 'state')}`;
  const checkpoint: number[] = [];
  const restore: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    rmSync(image, { recursive: true, force: true });
    let start = process.hrtime.bigint();
    await run('runsc', [state, 'checkpoint', `--image-path=${image}`, id]);
    // The ended container's delete goes with the checkpoint, as in Paddock's pause.
    await run('runsc', [state, 'delete', '--force', id]);
    checkpoint.push(elapsedMs(start));
    start = process.hrtime.bigint();
    // The restored sandbox keeps runsc's stdio: a file, never a pipe.
    const log = openSync(join(dir, 'bench-restore.log'), 'w');
    const child = spawn(
      'runsc',
      [
        state,
        '--network=none',
        'restore',
        `--image-path=${image}`,
        `--bundle=${join(dir, 'bundle')}`,
        '--detach',
        id,
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`runsc restore exited with ${String(code)}`);
    restore.push(elapsedMs(start));
  }
  rmSync(image, { recursive: true, force: true });
  return { checkpoint: summarize(checkpoint).p50, restore: summarize(restore).p50 };
}

/** Runs the checkpoint case and prints its table; undefined (said why) without runsc. */
export async function runCheckpointBench(): Promise<Record<string, unknown> | undefined> {
  if (
    !(await run('runsc', ['--version']).then(
      () => true,
      () => false,
    ))
  ) {
    console.log('\npause to disk (gVisor checkpoint): skipped, runsc is not installed');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-checkpoint-'));
  const root = join(dir, 'sandboxes');
  const runtime = createLocalRuntime({ root });
  const rows: Row[] = [];
  try {
    for (const mib of SIZES_MIB) {
      progress(`pause to disk: ${mib} MiB`);
      const ref = { namespace: 'bench', name: `ckpt-${mib}`, uid: `uid-${mib}-${Date.now()}` };
      const spec = { isolation: 'gvisor' as const, resources: { memory: `${mib + 512}Mi` } };
      await runtime.provision({ ...ref, spec });
      await readyHolder(runtime, ref, holder(mib), mib);
      const pause: number[] = [];
      const resume: number[] = [];
      let imageMiB = 0;
      for (let i = 0; i < ROUNDS; i++) {
        let start = process.hrtime.bigint();
        const { mechanism } = await runtime.pause(ref);
        pause.push(elapsedMs(start));
        if (mechanism !== 'checkpoint') throw new Error(`paused by ${mechanism}, not to disk`);
        imageMiB = await sizeMiB(join(root, ref.namespace, ref.name, 'gvisor', 'checkpoint'));
        start = process.hrtime.bigint();
        await runtime.resume(ref);
        resume.push(elapsedMs(start));
      }
      const floor = await floorTimes(root, ref);
      await runtime.destroy(ref);
      const pauseMs = summarize(pause).p50;
      const resumeMs = summarize(resume).p50;
      rows.push({
        memoryMiB: mib,
        imageMiB,
        pauseMs,
        resumeMs,
        floorCheckpointMs: floor.checkpoint,
        floorRestoreMs: floor.restore,
        pauseRatio: ratio(pauseMs, floor.checkpoint),
        resumeRatio: ratio(resumeMs, floor.restore),
      });
    }
  } finally {
    for (const ref of await runtime.list()) await runtime.destroy(ref);
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
  progress('');
  console.log(
    `\npause to disk of a gVisor sandbox by memory held (p50 of ${ROUNDS}), beside bare runsc checkpoint/restore`,
  );
  console.log('memory    image      pause      floor      ×      resume     floor      ×');
  for (const r of rows) {
    console.log(
      [
        `${r.memoryMiB} MiB`.padEnd(9),
        `${r.imageMiB.toFixed(0)} MiB`.padEnd(10),
        fmtMs(r.pauseMs).padEnd(10),
        fmtMs(r.floorCheckpointMs).padEnd(10),
        r.pauseRatio.toFixed(1).padEnd(6),
        fmtMs(r.resumeMs).padEnd(10),
        fmtMs(r.floorRestoreMs).padEnd(10),
        r.resumeRatio.toFixed(1),
      ].join(' '),
    );
  }
  return { rounds: ROUNDS, rows };
}
