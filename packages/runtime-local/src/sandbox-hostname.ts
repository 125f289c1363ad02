/**
 * Renaming a sandbox's host: a claimed warm sandbox takes its claimant's name. The UTS name of a
 * running bubblewrap sandbox is set from the host (which holds the rights over its namespace; the
 * sandbox's own `sethostname` is refused by its seccomp filter), and the generated `/etc/hostname`
 * and `/etc/hosts` are rewritten in place: they are bound into the sandbox by inode. A running
 * sandbox's rename is one request to the launcher, which does all of it with system calls, in its
 * own process as root (`sandbox-hostname.pl`): no fork, nothing of it on Paddock's event loop.
 */
import { join } from 'node:path';
import { ErrorCode, PaddockError, ResourceName } from '@paddock/core';
import { generatedEtc } from './bwrap-launcher.ts';
import { syscallTable } from './host-commands.ts';
import { type LaunchStep, stepWords } from './launch-steps.ts';
import { type SandboxDirs, type SandboxState, stateText } from './sandbox-state.ts';

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

/**
 * The words of the launcher's `hostname` request (`Launcher.rename`, `sandbox-hostname.pl`): given
 * `anchorPid`, that sandbox takes `hostname` as its UTS name; then its generated `/etc/hostname`
 * and `/etc/hosts` are overwritten in place (same inode and block, seen inside) and `state`
 * replaces its state (written beside it, then renamed: never half-written).
 */
export function renameWords(
  dirs: SandboxDirs,
  state: SandboxState,
  hostname: string,
  anchorPid: number | undefined,
): string[] {
  const etc = generatedEtc(hostname);
  const replaced: LaunchStep = { op: 'replace', path: dirs.state, text: stateText(state) };
  return [
    syscallTable(),
    anchorPid === undefined ? '' : String(anchorPid),
    hostname,
    '2',
    join(dirs.etc, 'hostname'),
    etc.hostname,
    join(dirs.etc, 'hosts'),
    etc.hosts,
    ...stepWords([replaced]),
  ];
}
