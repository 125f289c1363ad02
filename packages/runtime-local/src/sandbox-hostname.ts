/**
 * Renaming a sandbox's host: a claimed warm sandbox takes its claimant's name. The UTS name of a
 * running bubblewrap sandbox is set from the host (which holds the rights over its namespace; the
 * sandbox's own `sethostname` is refused by its seccomp filter), and the generated `/etc/hostname`
 * and `/etc/hosts` are rewritten in place: they are bound into the sandbox by inode.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode, PaddockError, ResourceName } from '@paddock/core';
import { generatedEtc } from './bwrap-launcher.ts';
import type { SandboxDirs } from './sandbox-state.ts';
import { SECCOMP_SYSCALLS } from './seccomp.ts';

const run = promisify(execFile);

/** `validation_failed` unless `hostname` is a DNS label, as sandbox names are. */
export function checkHostname(hostname: string): void {
  if (!ResourceName.safeParse(hostname).success || hostname.includes('.')) {
    const message = 'must be a DNS label (lowercase letters, digits and -, at most 63)';
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `hostname ${JSON.stringify(hostname)} ${message}`,
      {
        issues: [{ path: 'hostname', message }],
      },
    );
  }
}

/** Rewrites the generated `/etc/hostname` and `/etc/hosts` in place (same inode, seen inside). */
export function rewriteHostFiles(dirs: SandboxDirs, hostname: string): void {
  const etc = generatedEtc(hostname);
  for (const name of ['hostname', 'hosts'] as const) {
    writeFileSync(join(dirs.etc, name), etc[name], { mode: 0o644 });
  }
}

/** Joins the UTS namespace of `pid` and sets its host name there; arguments: pid, setns, sethostname, name. */
const SET_UTS_NAME = String.raw`open(my $ns, '<', "/proc/$ARGV[0]/ns/uts") or die "uts namespace: $!\n";
syscall($ARGV[1] + 0, fileno($ns), 0x04000000) == 0 or die "setns: $!\n";
my $name = $ARGV[3];
syscall($ARGV[2] + 0, $name, length $name) == 0 or die "sethostname: $!\n";`;

function syscallNumber(name: string): number {
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : undefined;
  const nr = arch === undefined ? undefined : SECCOMP_SYSCALLS.find((e) => e.name === name)?.[arch];
  if (nr === undefined) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `cannot rename a sandbox's host on ${process.arch}`,
    );
  }
  return nr;
}

/** Sets the UTS host name of the namespace the sandbox's init (`anchorPid`) runs in. */
export async function setUtsName(perl: string, anchorPid: number, hostname: string): Promise<void> {
  try {
    await run(perl, [
      '-e',
      SET_UTS_NAME,
      String(anchorPid),
      String(syscallNumber('setns')),
      String(syscallNumber('sethostname')),
      hostname,
    ]);
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `cannot set the sandbox's host name: ${detail}`,
    );
  }
}
