// Snapshot and fork of a local sandbox by the size of its workspace, beside the floor: the same
// `cp --reflink=auto -a` of the same workspace by hand (no freeze, no change of user). A fork
// copy is a provision from the snapshot, shown beside a provision of an empty sandbox (the copy
// costs the difference) and beside the bare copy of the snapshot. Then the memory snapshots of
// gVisor sandboxes (`snapshots-memory.ts`).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxRef } from '@paddock/core';
import { createLocalRuntime } from '@paddock/runtime-local';
import { runMemorySnapshotBench } from './snapshots-memory.ts';
import { elapsedMs, fmtMs, progress, ratio, summarize } from './stats.ts';

const ROUNDS = Number(process.env.PADDOCK_BENCH_SNAPSHOT_ROUNDS ?? 3);
const SIZES_MIB = [1, 64, 256];
/** Small files beside the big one: a source tree's worth. */
const SMALL_FILES = 500;

type Row = {
  workspaceMiB: number;
  files: number;
  snapshotMs: number;
  floorCopyMs: number;
  snapshotRatio: number;
  sizeBytes: number;
  forkCopyMs: number;
  emptyProvisionMs: number;
  floorSeedMs: number;
  forkRatio: number;
};

/** `mib` MiB in one file plus SMALL_FILES small ones, written inside the sandbox. */
function fillScript(mib: number): string {
  return `mkdir -p src && i=0; while [ $i -lt ${SMALL_FILES} ]; do echo "line $i" > src/f$i.txt; i=$((i+1)); done; head -c ${mib * 1024 * 1024} /dev/urandom > blob.bin`;
}

function timed(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return elapsedMs(start);
}

export async function runSnapshotBench() {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-snap-'));
  const root = join(dir, 'sandboxes');
  const runtime = createLocalRuntime({ root });
  const rows: Row[] = [];
  let counter = 0;
  const ref = (prefix: string): SandboxRef => {
    counter += 1;
    return { namespace: 'bench', name: `${prefix}-${counter}`, uid: `u-${counter}` };
  };
  try {
    for (const mib of SIZES_MIB) {
      progress(`snapshots: ${mib} MiB`);
      const source = ref('src');
      await runtime.provision({ ...source, spec: {} });
      const fill = await runtime.exec(source, { command: ['sh', '-c', fillScript(mib)] });
      await fill.stdout.cancel();
      await fill.stderr.cancel();
      await fill.exit;
      const workspace = join(root, source.namespace, source.name, 'workspace');
      const snapshot: number[] = [];
      const floorCopy: number[] = [];
      const fork: number[] = [];
      const empty: number[] = [];
      const floorSeed: number[] = [];
      let sizeBytes = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const snap = { namespace: 'bench', name: `snap-${mib}-${round}`, uid: `s-${mib}-${round}` };
        let start = process.hrtime.bigint();
        const capture = await runtime.snapshots.capture(source, snap);
        snapshot.push(elapsedMs(start));
        sizeBytes = capture.sizeBytes;
        const bare = join(dir, `bare-${mib}-${round}`);
        mkdirSync(bare);
        floorCopy.push(
          timed(() => execFileSync('cp', ['--reflink=auto', '-a', `${workspace}/.`, `${bare}/`])),
        );
        const seeded = join(dir, `seed-${mib}-${round}`);
        mkdirSync(seeded);
        floorSeed.push(
          timed(() => execFileSync('cp', ['--reflink=auto', '-a', `${bare}/.`, `${seeded}/`])),
        );
        const copy = ref('fork');
        start = process.hrtime.bigint();
        await runtime.provision({ ...copy, spec: {}, fromSnapshot: snap });
        fork.push(elapsedMs(start));
        const plain = ref('empty');
        start = process.hrtime.bigint();
        await runtime.provision({ ...plain, spec: {} });
        empty.push(elapsedMs(start));
        await runtime.destroy(copy);
        await runtime.destroy(plain);
        await runtime.snapshots.remove(snap);
        rmSync(bare, { recursive: true, force: true });
        rmSync(seeded, { recursive: true, force: true });
      }
      await runtime.destroy(source);
      const snapshotMs = summarize(snapshot).p50;
      const floorCopyMs = summarize(floorCopy).p50;
      const forkCopyMs = summarize(fork).p50;
      const emptyProvisionMs = summarize(empty).p50;
      const floorSeedMs = summarize(floorSeed).p50;
      rows.push({
        workspaceMiB: mib,
        files: SMALL_FILES + 1,
        snapshotMs,
        floorCopyMs,
        snapshotRatio: ratio(snapshotMs, floorCopyMs),
        sizeBytes,
        forkCopyMs,
        emptyProvisionMs,
        floorSeedMs,
        forkRatio: ratio(forkCopyMs - emptyProvisionMs, floorSeedMs),
      });
    }
  } finally {
    for (const r of await runtime.list()) await runtime.destroy(r);
    for (const s of await runtime.snapshots.list()) await runtime.snapshots.remove(s);
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
  progress('');
  console.log(
    `\nsnapshot and fork of a local sandbox by workspace size (p50 of ${ROUNDS}), beside a bare cp -a`,
  );
  console.log(
    'workspace  snapshot   bare cp    ×      fork copy  empty      bare cp    × (copy part)',
  );
  for (const r of rows) {
    console.log(
      [
        `${r.workspaceMiB} MiB`.padEnd(10),
        fmtMs(r.snapshotMs).padEnd(10),
        fmtMs(r.floorCopyMs).padEnd(10),
        r.snapshotRatio.toFixed(1).padEnd(6),
        fmtMs(r.forkCopyMs).padEnd(10),
        fmtMs(r.emptyProvisionMs).padEnd(10),
        fmtMs(r.floorSeedMs).padEnd(10),
        r.forkRatio.toFixed(1),
      ].join(' '),
    );
  }
  const memory = await runMemorySnapshotBench();
  return {
    rounds: ROUNDS,
    smallFiles: SMALL_FILES,
    rows,
    ...(memory === undefined ? {} : { memory }),
  };
}
