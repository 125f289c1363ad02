/**
 * Escape attempts through system calls the seccomp filter refuses (`seccomp.ts`), made by an
 * exec'd process and checked on the sandbox's own init, which bwrap filters itself.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { SandboxRef } from '@paddock/core';
import { readState, SandboxDirs } from './sandbox-state.ts';
import { ENOSYS, EPERM, SECCOMP_SYSCALLS } from './seccomp.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : undefined;
const nr = (name: string): number => {
  const found = SECCOMP_SYSCALLS.find((e) => e.name === name);
  const number = arch === undefined ? undefined : found?.[arch];
  assert.ok(number !== undefined, name);
  return number;
};

/** Prints `name errno` for each `name,nr,args…` probe (0 when the call succeeded). */
const PROBE = String.raw`for my $p (@ARGV) { my ($n, $nr, @a) = split /,/, $p; $! = 0;
  my $r = syscall($nr + 0, map { $_ + 0 } @a); printf("%s %d\n", $n, $r == -1 ? $! + 0 : 0) }`;

describe('escape attempts through refused system calls', {
  skip: skipReason ?? (arch === undefined ? 'the filter knows x86_64 and aarch64' : undefined),
}, () => {
  let world: TestWorld;
  let sandbox: SandboxRef;
  before(async () => {
    world = createTestWorld();
    sandbox = await world.provision({}, 'attacker');
  });
  after(async () => {
    await world?.cleanup();
  });

  it("filters the sandbox's init and everything it starts", () => {
    const state = readState(new SandboxDirs(world.root, sandbox));
    const anchor = state?.incarnation?.anchor.pid;
    assert.ok(anchor !== undefined);
    const status = readFileSync(`/proc/${anchor}/status`, 'utf8');
    assert.match(status, /^Seccomp:\s+2$/m, 'filter mode');
    assert.match(status, /^Seccomp_filters:\s+1$/m);
  });

  it('cannot create namespaces, mount, or reach keyrings, bpf and other kernel interfaces', async () => {
    const CLONE_NEWUSER = 0x10000000;
    const ADDR_NO_RANDOMIZE = 0x0040000;
    const probes = [
      `unshare,${nr('unshare')},${CLONE_NEWUSER}`,
      `setns,${nr('setns')},0,0`,
      `mount,${nr('mount')},0,0,0,0,0`,
      `keyctl,${nr('keyctl')},0,-3`,
      `add_key,${nr('add_key')},0,0,0,0,0`,
      `bpf,${nr('bpf')},0,0,0`,
      `perf_event_open,${nr('perf_event_open')},0,0,0,0,0`,
      `userfaultfd,${nr('userfaultfd')},0`,
      `io_uring_setup,${nr('io_uring_setup')},0,0`,
      `open_by_handle_at,${nr('open_by_handle_at')},0,0,0`,
      `personality,${nr('personality')},${ADDR_NO_RANDOMIZE}`,
      `clone3,${nr('clone3')},0,0`,
    ];
    const result = await sh(
      world.runtime,
      sandbox,
      `perl -e '${PROBE}' ${probes.join(' ')}; unshare -U true; unshare -m true; echo "still $?"`,
    );
    const errnos = Object.fromEntries(
      result.stdout
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('still'))
        .map((line) => line.split(' ')),
    );
    const expected = Object.fromEntries(probes.map((p) => [p.split(',')[0], String(EPERM)]));
    expected.clone3 = String(ENOSYS);
    assert.deepEqual(errnos, expected);
    assert.match(result.stderr, /unshare failed: Operation not permitted/);
    assert.match(result.stdout, /still 1/);
  });

  it('still forks and runs ordinary programs', async () => {
    const result = await sh(
      world.runtime,
      sandbox,
      `sh -c 'echo child' & wait; perl -e 'print "forked\\n" if fork // die; wait'; ls / >/dev/null && echo listed`,
    );
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, 'child\nforked\nlisted\n');
  });
});
