import { isPaddockError } from '@paddock/core';

/**
 * A read-modify-write that the controllers may race: `write` is called with what `read` returns
 * now, and called again on a fresh read when a controller wrote in between (a `conflict`), up to
 * five times. What `read` or `write` refuses otherwise (not found, forbidden, a phase) is thrown.
 */
export async function updateRetrying<T>(
  read: () => Promise<T>,
  write: (current: T) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const current = await read();
    try {
      return await write(current);
    } catch (error) {
      if (!isPaddockError(error, 'conflict') || attempt >= 4) throw error;
    }
  }
}
