// The spare supervisors the launcher keeps for background processes (background-supervisor.pl):
// a spare that died, or whose chain died, is skipped and replaced; closing the launcher ends every
// spare. The runtime contract covers what a background process does once started.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@paddock/testkit';
import { encodeLaunch } from './background-files.ts';
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

describe('a background process when Paddock is killed', { skip: skipReason ?? false }, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('runs on to its end, and a new instance replays its output and its exit', {
    timeout: 60_000,
  }, async () => {
    const ref = await world.provision();
    // Another Paddock (a Node process of its own, its launcher a child of it) starts the process,
    // then is killed with its whole process group: its supervisor left that group.
    const runtimeUrl = new URL('./local-runtime.ts', import.meta.url).href;
    const script = `
      import { createLocalRuntime } from ${JSON.stringify(runtimeUrl)};
      const runtime = createLocalRuntime({ root: ${JSON.stringify(world.root)} });
      const handle = await runtime.exec(${JSON.stringify(ref)}, {
        command: ['sh', '-c', 'echo early; until [ -e /workspace/go ]; do sleep 0.01; done; echo late; exit 7'],
        background: true,
        processId: 'survivor',
      });
      await handle.stdout.getReader().read();
      console.log('started');
      setInterval(() => {}, 1000);
    `;
    const paddock = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    const lines = createInterface({ input: paddock.stdout });
    const [line] = await Promise.race([
      new Promise<string[]>((resolve) => lines.once('line', (l) => resolve([l]))),
      new Promise<string[]>((resolve) => paddock.once('exit', () => resolve(['exited']))),
    ]);
    assert.equal(line, 'started');
    const ended = new Promise((resolve) => paddock.once('exit', resolve));
    process.kill(-(paddock.pid ?? 0), 'SIGKILL');
    await ended;

    const [running] = await world.runtime.listProcesses(ref);
    assert.equal(running?.running, true, 'the process outlived the Paddock that started it');
    writeFileSync(join(new SandboxDirs(world.root, ref).workspace, 'go'), '');
    const handle = await world.runtime.attach(ref, 'survivor');
    assert.equal(await readText(handle.stdout), 'early\nlate\n');
    assert.deepEqual(await handle.exit, { exitCode: 7, signal: null, timedOut: false });
  });
});
