// Programs the local runtime runs: found on PATH, and for bwrap a real sandbox started.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CheckStatus, check, type DoctorCheck } from './check.ts';

/** The first executable file called `name` in the directories of a PATH value. */
export function findExecutable(name: string, pathValue: string): string | undefined {
  for (const dir of pathValue.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The argv of the quick probe: every namespace unshared, the system read-only, then `true`. */
export function bwrapProbeArgs(): string[] {
  return [
    '--unshare-all',
    '--die-with-parent',
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    '--symlink',
    'usr/bin',
    '/bin',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    'true',
  ];
}

/** Runs a program to completion; the exit status and the first line of its stderr. */
export function runProbe(file: string, args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout: 20_000 });
  const output = (result.error?.message ?? result.stderr ?? '').trim().split('\n')[0] ?? '';
  return { ok: result.status === 0, output };
}

/** bubblewrap is on PATH and can start a sandbox here. */
export function checkBwrap(pathValue: string, probe: typeof runProbe = runProbe): DoctorCheck {
  const fix = 'apt-get install bubblewrap';
  const bwrap = findExecutable('bwrap', pathValue);
  if (!bwrap) return check('bubblewrap', CheckStatus.Fail, 'bwrap not found on PATH', fix);
  const result = probe(bwrap, bwrapProbeArgs());
  return result.ok
    ? check('bubblewrap', CheckStatus.Ok, `${bwrap} starts a sandbox`)
    : check(
        'bubblewrap',
        CheckStatus.Fail,
        `${bwrap} cannot start a sandbox: ${result.output || 'failed'}`,
        'run as root, and allow user namespaces (see the userns check)',
      );
}

/** gVisor's runsc: optional, only `isolation: gvisor` needs it. */
export function checkRunsc(pathValue: string): DoctorCheck {
  const runsc = findExecutable('runsc', pathValue);
  return runsc
    ? check('runsc', CheckStatus.Ok, `${runsc} (isolation: gvisor available)`)
    : check(
        'runsc',
        CheckStatus.Warn,
        'not found: optional, only isolation: gvisor needs it',
        'apt-get install runsc',
      );
}

/** socat carries forwarded ports; without it sandboxes run but ports cannot be forwarded. */
export function checkSocat(pathValue: string): DoctorCheck {
  const socat = findExecutable('socat', pathValue);
  return socat
    ? check('socat', CheckStatus.Ok, socat)
    : check(
        'socat',
        CheckStatus.Warn,
        'not found: sandbox ports cannot be forwarded',
        'apt-get install socat',
      );
}

/** perl (Debian's essential perl-base) supervises background processes: agents' harnesses, main commands. */
export function checkPerl(pathValue: string): DoctorCheck {
  const perl = findExecutable('perl', pathValue);
  return perl
    ? check('perl', CheckStatus.Ok, perl)
    : check(
        'perl',
        CheckStatus.Fail,
        'not found: background processes (runs, main commands) cannot start',
        'apt-get install perl-base',
      );
}
