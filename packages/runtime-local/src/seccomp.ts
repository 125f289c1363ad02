/**
 * The seccomp filter of every bubblewrap sandbox: a deny list compiled to a classic BPF program
 * (what `bwrap --seccomp FD` and `prctl(PR_SET_SECCOMP)` load). It follows Docker's default
 * profile as it applies to a container without capabilities (Paddock drops them all): whatever
 * that profile refuses is refused here, with `EPERM` (`ENOSYS` for `clone3`, so libc falls back to
 * `clone`, whose flags can be checked). Beyond Docker it also refuses `adjtimex`,
 * `clock_adjtime` and `name_to_handle_at`. Unlike Docker's allow list, a syscall newer than this
 * list is allowed. Only x86_64 and aarch64 are allowed at all: any other architecture (the i386
 * `int 0x80` ABI of an x86_64 process, arm32 compat) is killed, and x86_64's x32 ABI is refused.
 *
 * `ptrace` (with `process_vm_readv`/`writev`) stays allowed, as in Docker on kernels ≥ 4.8 (which
 * re-check the filter after a tracer changes a syscall): the sandbox's pid namespace holds only
 * its own processes, all one uid without capabilities, so it traces only itself (gdb, strace).
 *
 * gVisor sandboxes do not use this program: their syscalls are served by gVisor's own kernel,
 * which runs under gVisor's own seccomp filter.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `AUDIT_ARCH_*` values in `seccomp_data.arch`. */
export const SeccompArch = { X86_64: 0xc000003e, Aarch64: 0xc00000b7 } as const;

/** How an entry's syscall is judged (the first argument is compared on its low 32 bits). */
export type SyscallRule =
  | { kind: 'deny' }
  | { kind: 'enosys' }
  /** Refused when the first argument has any of `mask`'s bits (clone's namespace flags). */
  | { kind: 'deny-flags'; mask: number }
  /** Allowed only for these values of the first argument. */
  | { kind: 'allow-values'; values: readonly number[] }
  /** Refused for these values of the first argument. */
  | { kind: 'deny-values'; values: readonly number[] };

export type SyscallEntry = {
  name: string;
  /** Its number on x86_64 and aarch64; absent where the architecture has no such syscall. */
  x86_64?: number;
  aarch64?: number;
  rule: SyscallRule;
  reason: string;
};

const DENY: SyscallRule = { kind: 'deny' };
const entry = (
  name: string,
  x86_64: number | undefined,
  aarch64: number | undefined,
  reason: string,
  rule: SyscallRule = DENY,
): SyscallEntry => ({
  name,
  ...(x86_64 === undefined ? {} : { x86_64 }),
  ...(aarch64 === undefined ? {} : { aarch64 }),
  rule,
  reason,
});

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;
const AF_ALG = 38;
const AF_VSOCK = 40;
/** PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26, and the 0xffffffff query. */
const SAFE_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** What the filter refuses, one entry per syscall, with why. */
export const SECCOMP_SYSCALLS: readonly SyscallEntry[] = [
  // Namespaces and mounts: the sandbox's view of the system is fixed by its launch.
  entry('unshare', 272, 97, 'creates namespaces (a nested user namespace)'),
  entry('setns', 308, 268, 'joins other namespaces'),
  entry('clone', 56, 220, 'only with namespace flags (CLONE_NEWUSER, CLONE_NEWNS, …)', {
    kind: 'deny-flags',
    mask: CLONE_NAMESPACE_FLAGS,
  }),
  entry(
    'clone3',
    435,
    435,
    'its flags sit in memory a filter cannot read: ENOSYS, so libc uses clone',
    {
      kind: 'enosys',
    },
  ),
  entry('mount', 165, 40, 'mounts a filesystem'),
  entry('umount2', 166, 39, 'unmounts a filesystem (and uncovers what a mount hides)'),
  entry('pivot_root', 155, 41, 'changes the root filesystem'),
  entry('chroot', 161, 51, 'changes the root directory (needs CAP_SYS_CHROOT in Docker)'),
  entry('open_tree', 428, 428, 'new mount API'),
  entry('open_tree_attr', 467, 467, 'new mount API'),
  entry('move_mount', 429, 429, 'new mount API'),
  entry('fsopen', 430, 430, 'new mount API'),
  entry('fsconfig', 431, 431, 'new mount API'),
  entry('fsmount', 432, 432, 'new mount API'),
  entry('fspick', 433, 433, 'new mount API'),
  entry('mount_setattr', 442, 442, 'changes mount attributes'),
  // The kernel itself.
  entry('kexec_load', 246, 104, 'loads a new kernel'),
  entry('kexec_file_load', 320, 294, 'loads a new kernel'),
  entry('reboot', 169, 142, 'reboots the machine'),
  entry('init_module', 175, 105, 'loads a kernel module'),
  entry('finit_module', 313, 273, 'loads a kernel module'),
  entry('delete_module', 176, 106, 'unloads a kernel module'),
  entry('create_module', 174, undefined, 'obsolete module call'),
  entry('get_kernel_syms', 177, undefined, 'obsolete module call'),
  entry('query_module', 178, undefined, 'obsolete module call'),
  entry('bpf', 321, 280, 'loads programs into the kernel'),
  entry(
    'perf_event_open',
    298,
    241,
    'performance counters: kernel attack surface and side channels',
  ),
  entry('userfaultfd', 323, 282, 'stalls kernel page faults, a staple of kernel exploits'),
  entry('io_uring_setup', 425, 425, 'io_uring: a large kernel attack surface (Docker ≥ 25)'),
  entry('io_uring_enter', 426, 426, 'io_uring: a large kernel attack surface (Docker ≥ 25)'),
  entry('io_uring_register', 427, 427, 'io_uring: a large kernel attack surface (Docker ≥ 25)'),
  entry('lookup_dcookie', 212, 18, 'profiling interface that reads kernel state'),
  entry('syslog', 103, 116, "reads and clears the kernel's log"),
  entry('uselib', 134, undefined, 'obsolete library loader'),
  entry('ustat', 136, undefined, 'obsolete filesystem statistics'),
  entry('sysfs', 139, undefined, 'obsolete filesystem type listing'),
  entry('_sysctl', 156, undefined, 'obsolete sysctl interface'),
  entry('nfsservctl', 180, 42, 'obsolete NFS server control'),
  // Keys are not namespaced: a sandbox could read or fill the host's keyrings.
  entry('keyctl', 250, 219, 'kernel keyrings are not namespaced'),
  entry('add_key', 248, 217, 'kernel keyrings are not namespaced'),
  entry('request_key', 249, 218, 'kernel keyrings are not namespaced'),
  // Files by handle bypass the mount-based view (the "shocker" escape).
  entry('open_by_handle_at', 304, 265, 'opens any file of a filesystem by handle'),
  entry('name_to_handle_at', 303, 264, 'makes handles for open_by_handle_at'),
  // Hardware, clocks, swap and accounting belong to the host.
  entry('iopl', 172, undefined, 'raw I/O port access'),
  entry('ioperm', 173, undefined, 'raw I/O port access'),
  entry('settimeofday', 164, 170, 'sets the system clock'),
  entry('clock_settime', 227, 112, 'sets the system clock'),
  entry('adjtimex', 159, 171, 'tunes the system clock'),
  entry('clock_adjtime', 305, 266, 'tunes the system clock'),
  entry('quotactl', 179, 60, 'manages disk quotas'),
  entry('quotactl_fd', 443, 443, 'manages disk quotas'),
  entry('swapon', 167, 224, 'adds swap space'),
  entry('swapoff', 168, 225, 'removes swap space'),
  entry('acct', 163, 89, 'process accounting to a file'),
  entry('vhangup', 153, 58, 'hangs up the terminal'),
  entry('sethostname', 170, 161, 'the hostname is set by Paddock'),
  entry('setdomainname', 171, 162, 'the domain name is set by Paddock'),
  entry('fanotify_init', 300, 262, 'filesystem-wide event monitoring'),
  entry('lsm_set_self_attr', 460, 460, 'changes security module attributes'),
  entry('lsm_get_self_attr', 459, 459, 'security module interface (CAP_SYS_ADMIN in Docker)'),
  entry('lsm_list_modules', 461, 461, 'security module interface (CAP_SYS_ADMIN in Docker)'),
  // Memory placement and other processes' memory.
  entry('mbind', 237, 235, "NUMA placement affects the host's other tenants"),
  entry('get_mempolicy', 239, 236, 'NUMA policy (CAP_SYS_NICE in Docker)'),
  entry('set_mempolicy', 238, 237, "NUMA placement affects the host's other tenants"),
  entry('set_mempolicy_home_node', 450, 450, "NUMA placement affects the host's other tenants"),
  entry('migrate_pages', 256, 238, "moves pages between the host's NUMA nodes"),
  entry('move_pages', 279, 239, "moves pages between the host's NUMA nodes"),
  entry('kcmp', 312, 272, "compares other processes' kernel objects (CAP_SYS_PTRACE in Docker)"),
  entry('pidfd_getfd', 438, 438, "copies another process's descriptors (CAP_SYS_PTRACE in Docker)"),
  entry(
    'process_madvise',
    440,
    440,
    "advises on another process's memory (CAP_SYS_PTRACE in Docker)",
  ),
  // Argument-checked.
  entry(
    'personality',
    135,
    92,
    'only the ordinary personalities (no ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, …)',
    {
      kind: 'allow-values',
      values: SAFE_PERSONALITIES,
    },
  ),
  entry('socket', 41, 198, 'not AF_ALG (kernel crypto) or AF_VSOCK (the host hypervisor)', {
    kind: 'deny-values',
    values: [AF_ALG, AF_VSOCK],
  }),
];

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const EPERM = 1;
export const ENOSYS = 38;
/** x86_64's x32 ABI sets this bit in the syscall number. */
const X32_SYSCALL_BIT = 0x40000000;

/** Classic BPF opcodes used here (`linux/bpf_common.h`). */
export const BpfOp = {
  LdAbsW: 0x20,
  Ja: 0x05,
  Jeq: 0x15,
  Jge: 0x35,
  Jset: 0x45,
  Ret: 0x06,
} as const;

/** Offsets in `struct seccomp_data`: nr, arch, then args[] as little-endian u64. */
const NR_OFFSET = 0;
const ARCH_OFFSET = 4;
const ARG0_LOW_OFFSET = 16;

type Label = string;
type Insn = { code: number; k: number; jt?: Label; jf?: Label; ja?: Label; label?: Label };

function ret(value: number, label?: Label): Insn {
  return { code: BpfOp.Ret, k: value, ...(label === undefined ? {} : { label }) };
}

/** The rules of one architecture: x32 refused, each entry matched by number, else allowed. */
function archBlock(arch: 'x86_64' | 'aarch64', prefix: string): Insn[] {
  const deny = `${prefix}deny`;
  const allow = `${prefix}allow`;
  const enosys = `${prefix}enosys`;
  const out: Insn[] = [{ code: BpfOp.LdAbsW, k: NR_OFFSET, label: prefix }];
  if (arch === 'x86_64') out.push({ code: BpfOp.Jge, k: X32_SYSCALL_BIT, jt: deny, jf: 'next' });
  const checks: Insn[] = [];
  for (const item of SECCOMP_SYSCALLS) {
    const nr = item[arch];
    if (nr === undefined) continue;
    const rule = item.rule;
    switch (rule.kind) {
      case 'deny':
        out.push({ code: BpfOp.Jeq, k: nr, jt: deny, jf: 'next' });
        break;
      case 'enosys':
        out.push({ code: BpfOp.Jeq, k: nr, jt: enosys, jf: 'next' });
        break;
      case 'deny-flags': {
        const at = `${prefix}${item.name}`;
        out.push({ code: BpfOp.Jeq, k: nr, jt: at, jf: 'next' });
        checks.push({ code: BpfOp.LdAbsW, k: ARG0_LOW_OFFSET, label: at });
        checks.push({ code: BpfOp.Jset, k: rule.mask, jt: deny, jf: allow });
        break;
      }
      case 'allow-values':
      case 'deny-values': {
        const at = `${prefix}${item.name}`;
        const [hit, miss] = rule.kind === 'allow-values' ? [allow, deny] : [deny, allow];
        out.push({ code: BpfOp.Jeq, k: nr, jt: at, jf: 'next' });
        checks.push({ code: BpfOp.LdAbsW, k: ARG0_LOW_OFFSET, label: at });
        for (const value of rule.values)
          checks.push({ code: BpfOp.Jeq, k: value, jt: hit, jf: 'next' });
        checks.push({ code: BpfOp.Ja, k: 0, ja: miss });
        break;
      }
    }
  }
  // Jumps go forward only: the argument checks come before the verdicts they jump to.
  return [
    ...out,
    ret(SECCOMP_RET_ALLOW),
    ...checks,
    ret(SECCOMP_RET_ALLOW, allow),
    ret(SECCOMP_RET_ERRNO | EPERM, deny),
    ret(SECCOMP_RET_ERRNO | ENOSYS, enosys),
  ];
}

/** Resolves labels to relative jumps (forward only; conditional ones within 255). */
function assemble(program: readonly Insn[]): Buffer {
  const at = new Map<Label, number>();
  program.forEach((insn, i) => {
    if (insn.label !== undefined) at.set(insn.label, i);
  });
  const offset = (from: number, label: Label | undefined, limit: number): number => {
    if (label === undefined || label === 'next') return 0;
    const target = at.get(label);
    const delta = target === undefined ? -1 : target - from - 1;
    if (delta < 0 || delta > limit) throw new Error(`seccomp: bad jump to ${label} at ${from}`);
    return delta;
  };
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    const k = insn.ja === undefined ? insn.k : offset(i, insn.ja, 0xffffffff);
    bytes.writeUInt16LE(insn.code, i * 8);
    bytes.writeUInt8(offset(i, insn.jt, 255), i * 8 + 2);
    bytes.writeUInt8(offset(i, insn.jf, 255), i * 8 + 3);
    bytes.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return bytes;
}

let compiled: Buffer | undefined;

/**
 * The filter as `struct sock_filter[]` bytes (8 bytes each, little-endian): check the
 * architecture (unknown → kill the process), then the syscall list of that architecture.
 */
export function seccompProgram(): Buffer {
  compiled ??= assemble([
    { code: BpfOp.LdAbsW, k: ARCH_OFFSET },
    { code: BpfOp.Jeq, k: SeccompArch.X86_64, jt: 'x86_64:', jf: 'next' },
    { code: BpfOp.Jeq, k: SeccompArch.Aarch64, jt: 'aarch64:', jf: 'next' },
    ret(SECCOMP_RET_KILL_PROCESS),
    ...archBlock('x86_64', 'x86_64:'),
    ...archBlock('aarch64', 'aarch64:'),
  ]);
  return Buffer.from(compiled);
}

/** The file name of the program under a runtime's root. */
export const SECCOMP_FILE = '.seccomp.bpf';

/**
 * Writes the program to `<root>/.seccomp.bpf` (mode 0644, replaced atomically) for everything
 * that confines a process to a sandbox (bwrap's launch, the enter chain of exec). Returns its path.
 */
export function writeSeccompProgram(root: string): string {
  const path = join(root, SECCOMP_FILE);
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, seccompProgram(), { mode: 0o644 });
  renameSync(temp, path);
  return path;
}
