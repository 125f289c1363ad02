// Snapshots of a gVisor sandbox with its memory, by the memory its process holds, beside the
// floor: bare `runsc checkpoint` and `runsc restore` of the same container (what a snapshot that
// keeps its source running costs runsc), and a bare `runsc restore` of that image as another
// container (what a fork's start costs runsc). Paddock's snapshot adds the workspace copy and
// its bookkeeping of held processes; a fork adds a provision (directories, bundle, cgroups) and
// a supervisor per restored process.
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SandboxRef } from '@paddock/core';
import { createLocalRuntime } from '@paddock/runtime-local';
import { readyHolder } from './holder.ts';
import { elapsedMs, fmtMs, progress, ratio, summarize } from './stats.ts';

const run = promisify(execFile);
const ROUNDS = Number(process.env.PADDOCK_BENCH_SNAPSHOT_ROUNDS ?? 3);
const SIZES_MIB = [0, 64, 256];

/** Holds `mib` MiB of random bytes (runsc compresses its images: zero pages would cost nothing). */
const holder = (mib: number) =>
  `import os, time; b = bytearray(os.urandom(${mib} * 2**20)); print('ready', flush=True); time.sleep(3600)`;

type Row = {
  memoryMiB: number;
  imageMiB: number;
  snapshotMs: number;
  floorCheckpointMs: number;
  snapshotRatio: number;
  forkMs: number;
  floorRestoreMs: number;
  forkRatio: number;
};

/**
 * Runs runsc with its stdio a file: a sandbox it starts (`restore --detach`, `checkpoint
 * --leave-running`) keeps them, and a pipe would never end.
 */
async function runscDetached(args: string[], logPath: string): Promise<void> {
  const log = openSync(logPath, 'w');
  const child = spawn('runsc', args, { stdio: ['ignore', log, log] });
  closeSync(log);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) {
    const words = readFileSync(logPath, 'utf8').trim().split('\n').slice(-2).join(' ');
    throw new Error(`runsc ${args.join(' ')} exited with ${String(code)}: ${words}`);
  }
}

/**
 * The bare runsc floor on the source's own container (paths as gvisor.ts lays them out): a
 * snapshot that keeps its source running is `runsc checkpoint`, the `delete` of the ended
 * container and a `runsc restore` of it from the image (what `--leave-running` does inside, but
 * that flag then waits for the new container to end, so it cannot be timed); a fork's start is
 * a `runsc restore` of the image as another container.
 */
async function floorTimes(root: string, scratch: string, ref: SandboxRef) {
  const dir = join(root, ref.namespace, ref.name, 'gvisor');
  const id = `paddock.${ref.namespace}.${ref.name}`;
  const state = `--root=${join(dir, 'state')}`;
  const bundle = `--bundle=${join(dir, 'bundle')}`;
  const checkpoint: number[] = [];
  const restore: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const image = `--image-path=${join(scratch, `image-${i}`)}`;
    let start = process.hrtime.bigint();
    await run('runsc', [state, 'checkpoint', image, id]);
    await run('runsc', [state, 'delete', '--force', id]);
    const log = join(scratch, `restore-${i}.log`);
    await runscDetached([state, '--network=none', 'restore', image, bundle, '--detach', id], log);
    checkpoint.push(elapsedMs(start));
    const copyRoot = join(scratch, `root-${i}`);
    mkdirSync(copyRoot);
    const copy = `bench-copy-${i}`;
    start = process.hrtime.bigint();
    const copyLog = join(scratch, `copy-${i}.log`);
    const args = [`--root=${copyRoot}`, '--network=none', 'restore', image, bundle, '--detach'];
    await runscDetached([...args, copy], copyLog);
    restore.push(elapsedMs(start));
    await run('runsc', [`--root=${copyRoot}`, 'delete', '--force', copy]);
    rmSync(join(scratch, `image-${i}`), { recursive: true, force: true });
  }
  return { checkpoint: summarize(checkpoint).p50, restore: summarize(restore).p50 };
}

/** Runs the memory snapshot case and prints its table; undefined (said why) without runsc. */
export async function runMemorySnapshotBench(): Promise<Record<string, unknown> | undefined> {
  const hasRunsc = await run('runsc', ['--version']).then(
    () => true,
    () => false,
  );
  if (!hasRunsc) {
    console.log('\nsnapshots with memory (gVisor): skipped, runsc is not installed');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-snapmem-'));
  const root = join(dir, 'sandboxes');
  const runtime = createLocalRuntime({ root });
  const rows: Row[] = [];
  try {
    for (const mib of SIZES_MIB) {
      progress(`snapshots with memory: ${mib} MiB`);
      const spec = { isolation: 'gvisor' as const, resources: { memory: `${mib + 512}Mi` } };
      const source = { namespace: 'bench', name: `src-${mib}`, uid: `u-${mib}-${Date.now()}` };
      await runtime.provision({ ...source, spec });
      await readyHolder(runtime, source, holder(mib), mib);
      const snapshot: number[] = [];
      const fork: number[] = [];
      let imageMiB = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const snap = { namespace: 'bench', name: `snap-${mib}-${round}`, uid: `s-${round}` };
        let start = process.hrtime.bigint();
        const capture = await runtime.snapshots.capture(source, snap);
        snapshot.push(elapsedMs(start));
        if (capture.memoryBytes === undefined) throw new Error(`no memory: ${capture.memoryNote}`);
        imageMiB = capture.memoryBytes / 2 ** 20;
        const copy = { namespace: 'bench', name: `fork-${mib}-${round}`, uid: `f-${round}` };
        start = process.hrtime.bigint();
        await runtime.provision({ ...copy, spec, fromSnapshot: snap });
        fork.push(elapsedMs(start));
        const [held] = await runtime.listProcesses(copy);
        if (held?.running !== true) throw new Error('the fork lost its holder');
        await runtime.destroy(copy);
        await runtime.snapshots.remove(snap);
      }
      const scratch = join(dir, `floor-${mib}`);
      mkdirSync(scratch);
      const floor = await floorTimes(root, scratch, source);
      await runtime.destroy(source);
      const snapshotMs = summarize(snapshot).p50;
      const forkMs = summarize(fork).p50;
      rows.push({
        memoryMiB: mib,
        imageMiB,
        snapshotMs,
        floorCheckpointMs: floor.checkpoint,
        snapshotRatio: ratio(snapshotMs, floor.checkpoint),
        forkMs,
        floorRestoreMs: floor.restore,
        forkRatio: ratio(forkMs, floor.restore),
      });
    }
  } finally {
    for (const ref of await runtime.list()) await runtime.destroy(ref);
    for (const s of await runtime.snapshots.list()) await runtime.snapshots.remove(s);
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
  progress('');
  console.log(
    `\nsnapshot with memory of a gVisor sandbox, and a fork from it (p50 of ${ROUNDS}), beside bare runsc checkpoint + restore / restore`,
  );
  console.log('memory    image      snapshot   floor      ×      fork       floor      ×');
  for (const r of rows) {
    console.log(
      [
        `${r.memoryMiB} MiB`.padEnd(9),
        `${r.imageMiB.toFixed(0)} MiB`.padEnd(10),
        fmtMs(r.snapshotMs).padEnd(10),
        fmtMs(r.floorCheckpointMs).padEnd(10),
        r.snapshotRatio.toFixed(1).padEnd(6),
        fmtMs(r.forkMs).padEnd(10),
        fmtMs(r.floorRestoreMs).padEnd(10),
        r.forkRatio.toFixed(1),
      ].join(' '),
    );
  }
  return { rounds: ROUNDS, rows };
}
