// The spare supervisors the launcher keeps for background processes (background-supervisor.pl):
// a spare that died, or whose chain died, is skipped and replaced; closing the launcher ends every
// spare. A background process outlives a killed Paddock, holding none of its descriptors. The
// runtime contract covers what a background process does once started.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { SandboxRef } from '@paddock/core';
import { eventually } from '@paddock/testkit';
import { BackgroundChain, BackgroundMeta, encodeLaunch } from './background-files.ts';
import { HOST_ENV } from './exec.ts';
import { HOST_HELPER, type HostBinaries, superviseCommand } from './host-commands.ts';
import { Launcher } from './launcher.ts';
import { childrenOf, isAlive } from './process-identity.ts';
import { SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, readText, skipReason, type TestWorld } from './test-sandboxes.ts';

const bin: HostBinaries = { bash: '/bin/bash', perl: '/usr/bin/perl', bwrap: '/usr/bin/bwrap' };

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** The launcher helper of this process (there is one at a time). */
function launcherPid(): number {
  const [pid] = childrenOf(process.pid).filter((child) =>
    commandOf(child).startsWith('paddock-launcher'),
  );
  assert.ok(pid !== undefined, 'a launcher runs');
  return pid;
}

/** The launcher's idle spare supervisors. */
function sparesOf(launcher: number): number[] {
  return childrenOf(launcher).filter((child) => commandOf(child) === 'paddock-supervisor');
}

describe('spare supervisors', { skip: skipReason ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-supervisors-'));
  const launcher = new Launcher(bin.perl, HOST_HELPER);
  let count = 0;
  after(() => {
    launcher.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `argv` as a background process through the launcher; resolves with its output. */
  async function runBackground(argv: string[]): Promise<{ stdout: string; exit: unknown }> {
    const processDir = join(dir, `p${++count}`);
    mkdirSync(processDir);
    const [file = '', ...args] = argv;
    writeFileSync(join(processDir, 'launch.nul'), encodeLaunch({ file, args, env: HOST_ENV }));
    writeFileSync(join(processDir, 'stdout'), '');
    writeFileSync(join(processDir, 'stderr'), '');
    const supervisor = await launcher.supervise(
      superviseCommand(bin, processDir, { file, args }),
      'background',
    );
    assert.ok(supervisor.pid > 0);
    const exit = await eventually(
      () =>
        existsSync(join(processDir, 'exit.json')) &&
        readFileSync(join(processDir, 'exit.json'), 'utf8'),
      { what: 'the exit status' },
    );
    await eventually(() => !isAlive(supervisor), { what: 'the supervisor ended' });
    return {
      stdout: readFileSync(join(processDir, 'stdout'), 'utf8'),
      exit: JSON.parse(exit),
    };
  }

  it('replaces a spare that died, and one whose chain died', async () => {
    const first = await runBackground(['/bin/echo', 'first']);
    assert.equal(first.stdout, 'first\n');
    const pid = launcherPid();
    const spares = await eventually(() => sparesOf(pid).length === 2 && sparesOf(pid), {
      what: 'two spares',
    });
    const [dead = 0, orphaned = 0] = spares;
    process.kill(dead, 'SIGKILL');
    const [chain] = childrenOf(orphaned);
    assert.ok(chain !== undefined, 'a spare has its chain forked');
    process.kill(chain, 'SIGKILL');
    await eventually(() => !existsSync(`/proc/${orphaned}`) || commandOf(orphaned) === '', {
      what: 'the spare whose chain died ended',
    });
    const second = await runBackground(['/bin/sh', '-c', 'echo second; exit 3']);
    assert.equal(second.stdout, 'second\n');
    assert.deepEqual(
      { ...(second.exit as object), finishedAt: undefined },
      { exitCode: 3, signal: null, timedOut: false, finishedAt: undefined },
    );
    await eventually(() => sparesOf(pid).length === 2, { what: 'the spares forked again' });
  });

  it('ends every spare and its chain when the launcher closes', async () => {
    await runBackground(['/bin/true']);
    const pid = launcherPid();
    const spares = await eventually(() => sparesOf(pid).length === 2 && sparesOf(pid), {
      what: 'two spares',
    });
    const processes = spares.flatMap((spare) => [spare, ...childrenOf(spare)]);
    assert.equal(processes.length, 4, 'two spares, each with its chain');
    launcher.close();
    await eventually(
      () =>
        processes.every((p) => commandOf(p) === '' || !readdirSync('/proc').includes(String(p))),
      { what: 'the spares and their chains ended' },
    );
  });
});

/**
 * The descriptor of a pipe that Paddock inherited (Node hands on to what it starts an inherited
 * descriptor from about 17 up, not below: its own take those).
 */
const INHERITED_FD = 100;

/**
 * What `pid`'s descriptors are open on (`/dev/null`, a path, `pipe:[inode]`, `socket:[inode]`),
 * one entry per descriptor.
 */
function openFilesOf(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

/** The output relay of the background process whose directory is `dir` (it holds its output). */
function relayOf(dir: string): number | undefined {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && commandOf(Number(entry)) === 'paddock-relay')
    .map(Number)
    .find((pid) => openFilesOf(pid).includes(join(dir, 'stdout')));
}

describe('a background process when Paddock is killed', { skip: skipReason ?? false }, () => {
  let world: TestWorld;
  const paddocks = new Set<ChildProcess>();
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    for (const paddock of paddocks) {
      if (paddock.exitCode === null && paddock.signalCode === null) {
        process.kill(-(paddock.pid ?? 0), 'SIGKILL');
      }
    }
    await world?.cleanup();
  });

  /**
   * Another Paddock (a Node process of its own, its launcher a child of it) that starts `command`
   * as the background process `processId` of `ref`, once it has printed, and waits. Its
   * descriptor `INHERITED_FD` is a pipe of the test's that it inherited and never uses, as a shell
   * or a harness may leave one open to what it starts: `inherited` is what it is open on there.
   */
  async function startPaddock(
    ref: SandboxRef,
    processId: string,
    command: string,
  ): Promise<{ paddock: ChildProcess; inherited: string; ended: Promise<unknown> }> {
    const runtimeUrl = new URL('./local-runtime.ts', import.meta.url).href;
    const script = `
      import { readlinkSync } from 'node:fs';
      import { createLocalRuntime } from ${JSON.stringify(runtimeUrl)};
      const runtime = createLocalRuntime({ root: ${JSON.stringify(world.root)} });
      const handle = await runtime.exec(${JSON.stringify(ref)}, {
        command: ['sh', '-c', ${JSON.stringify(command)}],
        background: true,
        processId: ${JSON.stringify(processId)},
      });
      await handle.stdout.getReader().read();
      console.log('started ' + readlinkSync('/proc/self/fd/${INHERITED_FD}'));
      setInterval(() => {}, 1000);
    `;
    const paddock = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: [
        'ignore',
        'pipe',
        'inherit',
        ...Array<'ignore'>(INHERITED_FD - 3).fill('ignore'),
        'pipe',
      ],
      detached: true,
    });
    paddocks.add(paddock);
    const ended = new Promise((resolve) => paddock.once('exit', resolve));
    const lines = createInterface({ input: paddock.stdout as NodeJS.ReadableStream });
    const line = await Promise.race([
      new Promise<string>((resolve) => lines.once('line', resolve)),
      ended.then(() => 'exited'),
    ]);
    const [word, inherited = ''] = line.split(' ');
    assert.equal(word, 'started');
    return { paddock, inherited, ended };
  }

  /** Kills Paddock with its whole process group (its launcher); a supervisor left that group. */
  async function kill(started: { paddock: ChildProcess; ended: Promise<unknown> }): Promise<void> {
    process.kill(-(started.paddock.pid ?? 0), 'SIGKILL');
    await started.ended;
  }

  it('runs on to its end, and a new instance replays its output and its exit', {
    timeout: 60_000,
  }, async () => {
    const ref = await world.provision();
    const started = await startPaddock(
      ref,
      'survivor',
      'echo early; until [ -e /workspace/go ]; do sleep 0.01; done; echo late; exit 7',
    );
    await kill(started);

    const [running] = await world.runtime.listProcesses(ref);
    assert.equal(running?.running, true, 'the process outlived the Paddock that started it');
    writeFileSync(join(new SandboxDirs(world.root, ref).workspace, 'go'), '');
    const handle = await world.runtime.attach(ref, 'survivor');
    assert.equal(await readText(handle.stdout), 'early\nlate\n');
    assert.deepEqual(await handle.exit, { exitCode: 7, signal: null, timedOut: false });
  });

  it('holds nothing of the Paddock that started it: a pipe that Paddock inherited ends with it', {
    timeout: 60_000,
  }, async () => {
    const ref = await world.provision();
    const started = await startPaddock(
      ref,
      'quiet',
      'echo early; until [ -e /workspace/go ]; do sleep 0.01; done',
    );
    const dirs = new SandboxDirs(world.root, ref);
    const dir = join(dirs.procs, 'quiet');
    const meta = BackgroundMeta.parse(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')));
    const supervisor = meta.supervisor.pid;
    const chain = await eventually(
      () =>
        existsSync(join(dir, 'chain.json')) &&
        (BackgroundChain.parse(JSON.parse(readFileSync(join(dir, 'chain.json'), 'utf8'))).pid ??
          undefined),
      { what: 'the chain' },
    );
    const relay = relayOf(dir);
    assert.ok(relay !== undefined, 'the process has its relay');
    // What outlives Paddock shares no descriptor with it but /dev/null and the process's files.
    const paddockFiles = new Set(openFilesOf(started.paddock.pid ?? 0));
    assert.ok(paddockFiles.has(started.inherited));
    const isOwn = (file: string) => file === '/dev/null' || file.startsWith(`${dir}/`);
    for (const [what, pid] of Object.entries({ supervisor, chain, relay })) {
      const shared = openFilesOf(pid).filter((f) => !isOwn(f) && paddockFiles.has(f));
      assert.deepEqual(shared, [], `the ${what} holds none of Paddock's descriptors`);
    }
    // The relay holds its output files and the pipes from its chain, nothing else.
    const chainFiles = new Set(openFilesOf(chain));
    const strays = openFilesOf(relay).filter((f) => !isOwn(f) && !chainFiles.has(f));
    assert.deepEqual(strays, [], "the relay holds only its output and its chain's pipes");

    const inherited = started.paddock.stdio.at(INHERITED_FD) as NodeJS.ReadableStream;
    const inheritedEnded = new Promise((resolve) => inherited.once('end', resolve).resume());
    await kill(started);
    await inheritedEnded;
    assert.ok(isAlive(meta.supervisor), 'the pipe ended while the process runs on');
    assert.equal(commandOf(relay), 'paddock-relay', 'and its relay too');
    writeFileSync(join(dirs.workspace, 'go'), '');
    const handle = await world.runtime.attach(ref, 'quiet');
    assert.equal(await readText(handle.stdout), 'early\n');
    assert.deepEqual(await handle.exit, { exitCode: 0, signal: null, timedOut: false });
  });
});
