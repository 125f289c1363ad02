/**
 * Renaming a sandbox's host: a claimed warm sandbox takes its claimant's name. The UTS name of a
 * running bubblewrap sandbox is set from the host (which holds the rights over its namespace; the
 * sandbox's own `sethostname` is refused by its seccomp filter), and the generated `/etc/hostname`
 * and `/etc/hosts` are rewritten in place: they are bound into the sandbox by inode.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PaddockError, ResourceName } from '@paddock/core';
import { generatedEtc } from './bwrap-launcher.ts';
import type { SandboxDirs } from './sandbox-state.ts';

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
