// Pausing to disk, so a paused sandbox outlives a host restart (docs/pause.md): gVisor sandboxes
// through runsc checkpoint; CRIU would serve bubblewrap sandboxes, and is said unusable where
// its own `criu check` fails (Debian 12's criu on recent kernels).
import { CheckStatus, check, type DoctorCheck } from './check.ts';
import { findExecutable, runProbe } from './host-binaries.ts';

export function checkCheckpoint(pathValue: string, probe: typeof runProbe = runProbe): DoctorCheck {
  const criu = findExecutable('criu', pathValue);
  let words = 'bubblewrap sandboxes pause in memory';
  if (criu !== undefined) {
    const result = probe(criu, ['check']);
    words += result.ok
      ? ' (criu check passes, but Paddock checkpoints gVisor sandboxes only)'
      : ` (criu is unusable here: criu check says ${result.output || 'it failed'})`;
  }
  return findExecutable('runsc', pathValue)
    ? check('checkpoint', CheckStatus.Ok, `gVisor sandboxes pause to disk; ${words}`)
    : check(
        'checkpoint',
        CheckStatus.Warn,
        `no sandbox pauses to disk: ${words}, and a host restart ends their processes`,
        'apt-get install runsc, and give sandboxes that must outlive a restart isolation: gvisor',
      );
}
