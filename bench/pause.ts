// Pause and resume of a local sandbox by the memory its processes hold, beside the floor: the
// same freezer written by hand on a bare process of the same size (the cgroup v1 freezer here),
// or SIGSTOP/SIGCONT of it where Paddock itself falls back to signals. For scale, the stop and
// start that a pause replaces (a stop loses the memory; a start brings back no process).
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalRuntime } from '@paddock/runtime-local';
import { readyHolder } from './holder.ts';
import { runCheckpointBench } from './pause-checkpoint.ts';
import { elapsedMs, fmtMs, progress, ratio, summarize } from './stats.ts';

const ROUNDS = Number(process.env.PADDOCK_BENCH_PAUSE_ROUNDS ?? 7);
const SIZES_MIB = [0, 64, 256, 1024];

/** Holds `mib` MiB, every page touched, then says `ready` and sleeps. */
const holder = (mib: number) =>
  `import time; b = bytearray(${mib} * 2**20); b[::4096] = b'\\x01' * len(range(0, len(b), 4096)); print('ready', flush=True); time.sleep(3600)`;

type Row = {
  memoryMiB: number;
  mechanism: string;
  pauseMs: number;
  resumeMs: number;
  floorFreezeMs: number;
  floorThawMs: number;
  pauseRatio: number;
  resumeRatio: number;
  stopMs: number;
  startMs: number;
};

/** A bare python of the same size, outside any sandbox, for the floor. */
async function bareHolder(mib: number): Promise<ChildProcess> {
  const child = spawn('python3', ['-c', holder(mib)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', () => reject(new Error('the floor holder ended')));
  });
  return child;
}

/** Freeze and thaw times of the floor: a v1 freezer cgroup of its own, else SIGSTOP/SIGCONT. */
async function floorTimes(child: ChildProcess, mechanism: string) {
  const pid = child.pid ?? 0;
  const dir = `/sys/fs/cgroup/freezer/paddock-bench-floor-${process.pid}`;
  const useV1 = mechanism === 'cgroup-v1-freezer' && existsSync('/sys/fs/cgroup/freezer');
  if (useV1) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  }
  const freeze: number[] = [];
  const thaw: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let start = process.hrtime.bigint();
    if (useV1) {
      writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
      while (readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'FROZEN') await sleep(1);
    } else process.kill(pid, 'SIGSTOP');
    freeze.push(elapsedMs(start));
    start = process.hrtime.bigint();
    if (useV1) writeFileSync(join(dir, 'freezer.state'), 'THAWED');
    else process.kill(pid, 'SIGCONT');
    thaw.push(elapsedMs(start));
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  if (useV1) {
    for (let i = 0; i < 100 && existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch {
        await sleep(5);
      }
    }
  }
  return { freeze: summarize(freeze).p50, thaw: summarize(thaw).p50 };
}

/** Runs the pause case and prints its table; returns the results for latest.json. */
export async function runPauseBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-pause-'));
  const runtime = createLocalRuntime({ root: join(dir, 'sandboxes') });
  const rows: Row[] = [];
  try {
    for (const mib of SIZES_MIB) {
      progress(`pause: ${mib} MiB`);
      const ref = { namespace: 'bench', name: `pause-${mib}`, uid: `uid-${mib}-${Date.now()}` };
      await runtime.provision({ ...ref, spec: { resources: { memory: `${mib + 256}Mi` } } });
      await readyHolder(runtime, ref, holder(mib), mib);
      const pause: number[] = [];
      const resume: number[] = [];
      let mechanism = '';
      for (let i = 0; i < ROUNDS; i++) {
        let start = process.hrtime.bigint();
        mechanism = (await runtime.pause(ref)).mechanism;
        pause.push(elapsedMs(start));
        start = process.hrtime.bigint();
        await runtime.resume(ref);
        resume.push(elapsedMs(start));
      }
      let start = process.hrtime.bigint();
      await runtime.stop(ref);
      const stopMs = elapsedMs(start);
      start = process.hrtime.bigint();
      await runtime.start(ref);
      const startMs = elapsedMs(start);
      await runtime.destroy(ref);
      const floor = await floorTimes(await bareHolder(mib), mechanism);
      const pauseMs = summarize(pause).p50;
      const resumeMs = summarize(resume).p50;
      rows.push({
        memoryMiB: mib,
        mechanism,
        pauseMs,
        resumeMs,
        floorFreezeMs: floor.freeze,
        floorThawMs: floor.thaw,
        pauseRatio: ratio(pauseMs, floor.freeze),
        resumeRatio: ratio(resumeMs, floor.thaw),
        stopMs,
        startMs,
      });
    }
  } finally {
    for (const ref of await runtime.list()) await runtime.destroy(ref);
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
  progress('');
  console.log(
    `\npause and resume of a local sandbox by memory held (p50 of ${ROUNDS}), beside the floor`,
  );
  console.log(
    'memory    mechanism           pause      floor      ×      resume     floor      ×      stop       start',
  );
  for (const r of rows) {
    console.log(
      [
        `${r.memoryMiB} MiB`.padEnd(9),
        r.mechanism.padEnd(19),
        fmtMs(r.pauseMs).padEnd(10),
        fmtMs(r.floorFreezeMs).padEnd(10),
        r.pauseRatio.toFixed(1).padEnd(6),
        fmtMs(r.resumeMs).padEnd(10),
        fmtMs(r.floorThawMs).padEnd(10),
        r.resumeRatio.toFixed(1).padEnd(6),
        fmtMs(r.stopMs).padEnd(10),
        fmtMs(r.startMs),
      ].join(' '),
    );
  }
  const checkpoint = await runCheckpointBench();
  return { rounds: ROUNDS, rows, ...(checkpoint === undefined ? {} : { checkpoint }) };
}
