import { closeSync, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Room in `sockaddr_un.sun_path` (108 bytes on Linux, with its terminating NUL). */
const SUN_PATH_BYTES = 107;

/**
 * Runs `use` with a path for the Unix socket `socketPath` that fits `sun_path`: the path itself
 * when it is short enough, else `/proc/self/fd/N/NAME` through an open descriptor of its
 * directory (a data directory deep in the file system, such as a test's temporary home, would
 * otherwise make every bind and connect fail). The descriptor is closed once `use` settles.
 */
export async function withShortSocketPath<T>(
  socketPath: string,
  use: (path: string) => Promise<T>,
): Promise<T> {
  if (Buffer.byteLength(socketPath) <= SUN_PATH_BYTES) return use(socketPath);
  const fd = openSync(dirname(socketPath), 'r');
  try {
    return await use(`/proc/self/fd/${fd}/${basename(socketPath)}`);
  } finally {
    closeSync(fd);
  }
}
