// Test support: bwrap arguments for a sandbox container as a pod gets it: the image's system
// (this machine's /usr and /etc standing in for debian:bookworm-slim), the harness an init
// container copied, read-only at HARNESS_PATH, and no other Paddock.
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { HARNESS_PATH } from '../objects/harness.ts';

/** bwrap's arguments up to and including `--`, with `options` (a uid, namespaces) before it. */
export function harnessSandboxArgs(harness: string, options: string[] = []): string[] {
  const args = ['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc'];
  for (const top of ['bin', 'sbin', 'lib', 'lib64']) {
    const path = `/${top}`;
    if (!existsSync(path)) continue;
    if (lstatSync(path).isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else args.push('--ro-bind', path, path);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/workspace');
  args.push('--ro-bind', harness, HARNESS_PATH, '--chdir', '/workspace', '--clearenv');
  args.push('--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'HOME', '/tmp');
  return [...args, ...options, '--'];
}
