import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small filesystem of its own (a tmpfs) that a test can fill up, and how to remove it. */
export type SmallDisk = { dir: string; unmount(): void };

/**
 * Mounts a tmpfs of `sizeMiB` on a fresh temp dir, or says why it cannot (for `{ skip }`): it
 * needs root and a kernel that allows the mount. `unmount` detaches it lazily (processes still
 * holding it keep it until they exit) and removes the dir; call it in `after`, on failure too.
 */
export function mountSmallDisk(sizeMiB: number): SmallDisk | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'mounting a small tmpfs needs root' };
  const dir = mkdtempSync(join(tmpdir(), 'paddock-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
  } catch (error) {
    rmdirSync(dir);
    return { skip: `cannot mount a tmpfs: ${String(error).split('\n')[0]}` };
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmdirSync(dir);
    },
  };
}
