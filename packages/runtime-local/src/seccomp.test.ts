import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findExecutable } from './host-binaries.ts';
import {
  BpfOp,
  CLONE_NAMESPACE_FLAGS,
  ENOSYS,
  EPERM,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_SYSCALLS,
  SeccompArch,
  seccompProgram,
  writeSeccompProgram,
} from './seccomp.ts';

type Call = { arch: number; nr: number; args?: readonly bigint[] };

/** Runs a classic BPF seccomp program the way the kernel does, for the opcodes it may hold. */
function verdict(program: Buffer, call: Call): number {
  assert.equal(program.length % 8, 0);
  const count = program.length / 8;
  assert.ok(count > 0 && count <= 4096, 'the kernel takes 1 to 4096 instructions');
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr, 0);
  data.writeUInt32LE(call.arch, 4);
  (call.args ?? []).forEach((arg, i) => {
    data.writeBigUInt64LE(arg, 16 + 8 * i);
  });
  let acc = 0;
  for (let pc = 0; pc < count; ) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    pc += 1;
    switch (code) {
      case BpfOp.LdAbsW:
        assert.ok(k % 4 === 0 && k < 64, `aligned load inside seccomp_data (${k})`);
        acc = data.readUInt32LE(k);
        break;
      case BpfOp.Ja:
        pc += k;
        break;
      case BpfOp.Jeq:
        pc += acc === k ? jt : jf;
        break;
      case BpfOp.Jge:
        pc += acc >= k ? jt : jf;
        break;
      case BpfOp.Jset:
        pc += (acc & k) !== 0 ? jt : jf;
        break;
      case BpfOp.Ret:
        return k;
      default:
        assert.fail(`unexpected opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  return assert.fail('the program ran off its end');
}

const ARCHES = [
  ['x86_64', SeccompArch.X86_64],
  ['aarch64', SeccompArch.Aarch64],
] as const;
const DENIED = SECCOMP_SYSCALLS.filter((e) => e.rule.kind === 'deny');
const ALLOWED = {
  x86_64: { read: 0, getpid: 39, ptrace: 101 },
  aarch64: { read: 63, getpid: 172, ptrace: 117 },
};
const byName = (name: string) => {
  const found = SECCOMP_SYSCALLS.find((e) => e.name === name);
  assert.ok(found, name);
  return found;
};

describe('seccomp program', () => {
  const program = seccompProgram();

  it('refuses every listed syscall with EPERM on both architectures', () => {
    for (const [archName, arch] of ARCHES) {
      for (const entry of DENIED) {
        const nr = entry[archName];
        if (nr === undefined) continue;
        assert.equal(
          verdict(program, { arch, nr }),
          SECCOMP_RET_ERRNO | EPERM,
          `${archName} ${entry.name}`,
        );
      }
    }
  });

  it('answers clone3 with ENOSYS, so that libc falls back to clone', () => {
    for (const [archName, arch] of ARCHES) {
      const nr = byName('clone3')[archName] ?? -1;
      assert.equal(verdict(program, { arch, nr }), SECCOMP_RET_ERRNO | ENOSYS);
    }
  });

  it('allows clone for threads and forks but not with any namespace flag', () => {
    const SIGCHLD = 17n;
    const THREAD = 0x3d0f00n; // what glibc's pthread_create passes
    for (const [archName, arch] of ARCHES) {
      const nr = byName('clone')[archName] ?? -1;
      for (const flags of [SIGCHLD, THREAD, 0x4111n /* vfork */]) {
        assert.equal(verdict(program, { arch, nr, args: [flags] }), SECCOMP_RET_ALLOW);
      }
      for (let bit = 0; bit < 32; bit += 1) {
        if ((CLONE_NAMESPACE_FLAGS & (1 << bit)) === 0) continue;
        const flags = BigInt((1 << bit) >>> 0) | SIGCHLD;
        assert.equal(verdict(program, { arch, nr, args: [flags] }), SECCOMP_RET_ERRNO | EPERM);
      }
      assert.equal(
        CLONE_NAMESPACE_FLAGS,
        0x7e020000,
        'NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET',
      );
    }
  });

  it('allows only the ordinary personalities and refuses AF_ALG and AF_VSOCK sockets', () => {
    for (const [archName, arch] of ARCHES) {
      const personality = byName('personality')[archName] ?? -1;
      for (const value of [0n, 8n, 0x20000n, 0xffffffffn]) {
        assert.equal(verdict(program, { arch, nr: personality, args: [value] }), SECCOMP_RET_ALLOW);
      }
      for (const value of [
        0x0040000n /* ADDR_NO_RANDOMIZE */,
        0x0400000n /* READ_IMPLIES_EXEC */,
      ]) {
        assert.equal(
          verdict(program, { arch, nr: personality, args: [value] }),
          SECCOMP_RET_ERRNO | EPERM,
        );
      }
      const socket = byName('socket')[archName] ?? -1;
      for (const family of [1n, 2n, 10n, 16n]) {
        assert.equal(verdict(program, { arch, nr: socket, args: [family] }), SECCOMP_RET_ALLOW);
      }
      for (const family of [38n, 40n]) {
        assert.equal(
          verdict(program, { arch, nr: socket, args: [family] }),
          SECCOMP_RET_ERRNO | EPERM,
        );
      }
    }
  });

  it('allows ordinary syscalls (ptrace included) and kills unknown architectures and x32', () => {
    for (const [archName, arch] of ARCHES) {
      for (const nr of Object.values(ALLOWED[archName])) {
        assert.equal(verdict(program, { arch, nr }), SECCOMP_RET_ALLOW, `${archName} ${nr}`);
      }
    }
    const AUDIT_ARCH_I386 = 0x40000003;
    assert.equal(verdict(program, { arch: AUDIT_ARCH_I386, nr: 20 }), SECCOMP_RET_KILL_PROCESS);
    assert.equal(
      verdict(program, { arch: 0x40000028 /* arm */, nr: 20 }),
      SECCOMP_RET_KILL_PROCESS,
    );
    const x32Getpid = 0x40000000 + 39;
    assert.equal(
      verdict(program, { arch: SeccompArch.X86_64, nr: x32Getpid }),
      SECCOMP_RET_ERRNO | EPERM,
    );
  });

  it('lists each syscall once with a reason and numbers where the architecture has it', () => {
    const names = SECCOMP_SYSCALLS.map((e) => e.name);
    assert.equal(new Set(names).size, names.length);
    for (const entry of SECCOMP_SYSCALLS) {
      assert.ok(entry.reason.length > 5, entry.name);
      assert.ok(entry.x86_64 !== undefined || entry.aarch64 !== undefined, entry.name);
    }
    for (const name of [
      'mount',
      'unshare',
      'setns',
      'keyctl',
      'bpf',
      'kexec_load',
      'open_by_handle_at',
    ]) {
      assert.equal(byName(name).rule.kind, 'deny');
    }
  });

  describe('on file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paddock-seccomp-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    it('is written once per root, world-readable, byte for byte', () => {
      const path = writeSeccompProgram(dir);
      assert.deepEqual(readFileSync(path), program);
      assert.equal(statSync(path).mode & 0o777, 0o644);
      assert.equal(writeSeccompProgram(dir), path);
    });
  });
});

/**
 * Installs the program from a file in perl (as the enter chain does) and reports the errno of
 * each probe: the filter on the real kernel, not only in the interpreter above.
 */
const PERL_PROBE = String.raw`
use strict;
my ($prctl, @probes) = @ARGV;
binmode STDIN;
my $prog = do { local $/; <STDIN> };
syscall($prctl, 38, 1, 0, 0, 0) == 0 or die "no_new_privs: $!";
my $fprog = pack('S x6 P', length($prog) / 8, $prog);
syscall($prctl, 22, 2, $fprog, 0, 0) == 0 or die "seccomp: $!";
for my $probe (@probes) {
  my ($name, $nr, @args) = split(/,/, $probe);
  $! = 0;
  my $ret = syscall($nr + 0, map { $_ + 0 } @args);
  printf("%s %d\n", $name, $ret == -1 ? $! + 0 : 0);
}
`;

const perlSkip =
  findExecutable('perl') === undefined
    ? 'perl is not installed'
    : process.arch !== 'x64' && process.arch !== 'arm64'
      ? 'the filter knows x86_64 and aarch64 only'
      : undefined;

describe('seccomp program on the kernel', { skip: perlSkip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-seccomp-kernel-'));
  chmodSync(dir, 0o755);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses what it lists and allows the rest, in a real process', () => {
    const arch = process.arch === 'x64' ? 'x86_64' : 'aarch64';
    const nr = (name: string) => byName(name)[arch] ?? -1;
    const prctl = arch === 'x86_64' ? 157 : 167;
    const getpid = ALLOWED[arch].getpid;
    const CLONE_NEWUSER = 0x10000000;
    // Each probe would do something else without the filter (succeed, EFAULT, EINVAL, ENOKEY);
    // none of them harms the host if it ran: the process is unprivileged (nobody).
    const probes = [
      `unshare,${nr('unshare')},${CLONE_NEWUSER}`,
      `clone3,${nr('clone3')},0,0`,
      `keyctl,${nr('keyctl')},0,-3`,
      `add_key,${nr('add_key')},0,0,0,0,0`,
      `bpf,${nr('bpf')},0,0,0`,
      `perf_event_open,${nr('perf_event_open')},0,0,0,0,0`,
      `userfaultfd,${nr('userfaultfd')},0`,
      `io_uring_setup,${nr('io_uring_setup')},0,0`,
      `name_to_handle_at,${nr('name_to_handle_at')},0,0,0,0,0`,
      `personality,${nr('personality')},${0x0040000}`,
      `getpid,${getpid}`,
    ];
    const result = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--',
        'perl',
        '-e',
        PERL_PROBE,
        String(prctl),
        ...probes,
      ],
      // On stdin: the test's own directory may be closed to nobody.
      { encoding: 'utf8', input: readFileSync(writeSeccompProgram(dir)) },
    );
    assert.equal(result.status, 0, result.stderr);
    const errnos = Object.fromEntries(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ')),
    );
    const expected = Object.fromEntries(probes.map((p) => [p.split(',')[0], String(EPERM)]));
    expected.clone3 = String(ENOSYS);
    expected.getpid = '0';
    assert.deepEqual(errnos, expected);
  });
});
