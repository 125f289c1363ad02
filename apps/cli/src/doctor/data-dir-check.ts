// The server's data directory: there or creatable, writable, with room on its disk.
import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CheckStatus, check, type DoctorCheck } from './check.ts';

/** Below this much free space the check warns: sandboxes' workspaces live there. */
export const LOW_DISK_BYTES = 1024 ** 3;

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The directory itself when it exists, else its nearest existing ancestor (where it would be made). */
function nearestExisting(dir: string): string {
  let current = dir;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

/** `--home DIR`, `PADDOCK_HOME` or `~/.paddock`: exists (or can be created), writable, free space. */
export function checkDataDir(dir: string): DoctorCheck {
  const existing = nearestExisting(dir);
  const isThere = existing === dir;
  if (isThere && !statSync(dir).isDirectory()) {
    return check('data dir', CheckStatus.Fail, `${dir} is not a directory`, 'pass --home DIR');
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    return check(
      'data dir',
      CheckStatus.Fail,
      isThere ? `${dir} is not writable` : `${dir} cannot be created (${existing} is not writable)`,
      `chown the directory to this user, or pass --home DIR (PADDOCK_HOME)`,
    );
  }
  const stats = statfsSync(existing);
  const free = stats.bavail * stats.bsize;
  const where = isThere ? `${dir} writable` : `${dir} will be created`;
  return free < LOW_DISK_BYTES
    ? check(
        'data dir',
        CheckStatus.Warn,
        `${where}, only ${formatBytes(free)} free`,
        'free disk space, or pass --home DIR on a larger disk',
      )
    : check('data dir', CheckStatus.Ok, `${where}, ${formatBytes(free)} free`);
}
