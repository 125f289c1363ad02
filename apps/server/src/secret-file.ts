import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * A 32-byte secret kept in `path` (0600), made on first use so tokens signed with it outlive a
 * restart; another process that makes it first wins, and its secret is read.
 */
export function readOrCreateSecret(path: string): Uint8Array {
  if (existsSync(path)) return readFileSync(path);
  const secret = randomBytes(32);
  try {
    writeFileSync(path, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    return readFileSync(path);
  }
}
