// The runtime contract (and the rootless cases) as an unprivileged user, when the run is root's:
// a uid no account or process uses runs `node --test` in a mount namespace of its own, where the
// checkout, the Node.js install and a home and TMPDIR of that user sit on a tmpfs over TMPDIR
// (the checkout or Node.js may live under a home that user cannot traverse, such as /root).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { findExecutable } from './host-binaries.ts';

const REPO = resolve(import.meta.dirname, '../../..');
/** The files the unprivileged run runs, relative to the checkout. */
const FILES = [
  'packages/runtime-local/src/runtime-contract.test.ts',
  'packages/runtime-local/src/rootless.test.ts',
];
const TOOLS = ['bwrap', 'setpriv', 'unshare', 'mount'] as const;
const RUN_TIMEOUT_MS = 15 * 60_000;

/** Live processes (pid and command line) running as `uid`. */
function processesOf(uid: number): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) !== uid) continue;
      // A zombie is dead already; it waits for init, slow to reap on some hosts.
      if (/^State:\s+Z/m.test(status)) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      found.push({ pid: Number(entry), command: command.trim() });
    } catch {}
  }
  return found;
}

/** A uid that no account in /etc/passwd names and no process runs as (none of them is root's). */
function unusedUid(): number {
  const taken = new Set(
    readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => Number(line.split(':')[2])),
  );
  for (;;) {
    // Below the host uids root-run runtimes hand to sandboxes (2 000 000 000 and up).
    const uid = 1_500_000_000 + randomInt(0, 100_000_000);
    if (!taken.has(uid) && processesOf(uid).length === 0) return uid;
  }
}

/** Whether other users may read `path` and traverse its directories up to `top` (inclusive). */
function isOpenToOthers(path: string, top: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined || (stat.mode & 0o004) === 0) return false;
  for (let dir = dirname(path); dir.startsWith(top); dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === top) break;
  }
  return true;
}

/** Why the unprivileged run cannot happen here, or undefined when it can. */
function skipReasonFor(uid: number): string | undefined {
  if (process.getuid?.() !== 0) {
    return 'the run is unprivileged already: runtime-contract.test.ts and rootless.test.ts run rootless as they are';
  }
  const missing = TOOLS.filter((tool) => findExecutable(tool) === undefined);
  if (missing.length > 0) return `${missing.join(', ')} not installed`;
  // The checkout is bound into the run; its own files must be readable by others.
  for (const file of ['package.json', ...FILES]) {
    if (!isOpenToOthers(join(REPO, file), REPO)) {
      return `${file} of the checkout is not readable by other users (checked out with umask 077?)`;
    }
  }
  if (
    !tmpdir()
      .split(sep)
      .every((_, i, parts) => isTraversable(parts.slice(0, i).join(sep)))
  ) {
    return `the temp directory ${tmpdir()} sits under a directory other users cannot traverse`;
  }
  const probe = spawnSync(
    findExecutable('setpriv') ?? 'setpriv',
    [...asUser(uid), '--', findExecutable('bwrap') ?? 'bwrap', '--unshare-user'].concat([
      '--ro-bind',
      '/',
      '/',
      '--',
      'true',
    ]),
    { encoding: 'utf8', cwd: '/' },
  );
  if (probe.status !== 0) {
    return `unprivileged user namespaces are not allowed here (bwrap --unshare-user as uid ${uid}: ${probe.stderr.trim() || probe.error?.message})`;
  }
  return undefined;
}

function isTraversable(dir: string): boolean {
  return dir === '' || (statSync(dir).mode & 0o001) !== 0;
}

function asUser(uid: number): string[] {
  return [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
}

/**
 * Runs as root in a private mount namespace: a tmpfs over `$run` (TMPDIR, under root's per-run
 * directory) holding the checkout and Node.js bound read-only, and a home and TMPDIR owned by the
 * user; then drops to the user and runs `node --test` on the files.
 */
const STAGE = [
  'set -e',
  'run=$1 repo=$2 nodedir=$3 uid=$4',
  'shift 4',
  'mount -t tmpfs -o mode=0755 paddock-rootless "$run"',
  'mkdir "$run/repo" "$run/node" "$run/home" "$run/tmp"',
  'mount --bind "$repo" "$run/repo"',
  'mount -o remount,bind,ro "$run/repo"',
  'mount --bind "$nodedir" "$run/node"',
  'mount -o remount,bind,ro "$run/node"',
  'chown "$uid:$uid" "$run/home" "$run/tmp"',
  'chmod 0700 "$run/home" "$run/tmp"',
  'cd "$run/repo"',
  'exec setpriv --reuid="$uid" --regid="$uid" --clear-groups -- env -i HOME="$run/home" TMPDIR="$run/tmp" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$run/node/bin/node" --test "$@"',
].join('\n');

type Outcome = { code: number | null; signal: NodeJS.Signals | null; output: string };

function runAs(uid: number): Promise<Outcome> {
  const nodeDir = dirname(dirname(process.execPath));
  const child = spawn(
    findExecutable('unshare') ?? 'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'bash',
      '--norc',
      '-c',
      STAGE,
      'paddock-stage',
    ].concat([tmpdir(), REPO, nodeDir, String(uid), ...FILES]),
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolvePromise) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, output });
    });
  });
}

/** The summary and every failing test of a `node --test` report, for a failure message. */
function failures(output: string): string {
  const lines = output.split('\n');
  const summary = lines.filter((l) => /^ℹ (tests|pass|fail|skipped|cancelled) /.test(l));
  const failing = lines.filter((l) => /^\s*✖|not ok /.test(l)).slice(0, 40);
  return [...summary, ...failing, '--- last lines ---', ...lines.slice(-60)].join('\n');
}

const uid = process.getuid?.() === 0 ? unusedUid() : -1;
const skip = skipReasonFor(uid);

describe('the runtime contract as an unprivileged user', { skip: skip ?? false }, () => {
  it('passes rootless, and leaves no process of that user behind', {
    timeout: RUN_TIMEOUT_MS + 60_000,
  }, async () => {
    const outcome = await runAs(uid);
    const leftovers = processesOf(uid);
    for (const { pid } of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    assert.ok(
      outcome.code === 0,
      `node --test as uid ${uid} ended with ${outcome.code ?? outcome.signal}:\n${failures(outcome.output)}`,
    );
    assert.match(outcome.output, /^ℹ pass [1-9]/m, 'cases ran');
    assert.deepEqual(leftovers, [], `processes of uid ${uid} left behind`);
  });
});
