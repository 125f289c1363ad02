/**
 * What envd's file calls share: a path as envd resolves it (relative to the user's home), the one
 * user a Paddock sandbox has, and an entry of the files seam as envd's `EntryInfo` (proto3 JSON).
 */
import { posix } from 'node:path';
import { ErrorCode, type FileInfo, PaddockError, type SandboxRef } from '@paddock/core';
import type { z } from 'zod';
import { inspectTar } from '../tar-archive.ts';
import { ConnectCode, ConnectError } from './connect.ts';
import type { EnvdCall, EnvdUser } from './e2b-call.ts';

/** The home of the sandbox's user: relative paths and `~` resolve against it. */
export const USER_HOME = '/home/user';

/** The owner and group envd reports: every file a Paddock sandbox writes is its one user's. */
const OWNER = 'user';

/**
 * The user a file call acts as: `user`, the only one a Paddock sandbox has. `forbidden` for
 * `root` (the envd surface answers Connect `permission_denied` or HTTP 403).
 */
export function requireSandboxUser(user: EnvdUser): void {
  if (user === 'root')
    throw new PaddockError(
      ErrorCode.Forbidden,
      'Paddock sandboxes run one unprivileged user ("user"); there is no root to act as',
    );
}

/**
 * An envd path as an absolute, clean path inside the sandbox: `~` and `~/…` are the user's home,
 * a relative path (or none) is relative to it. `validation_failed` for a NUL byte or `~name`.
 */
export function resolveEnvdPath(path: string): string {
  if (path.includes('\0'))
    throw new PaddockError(ErrorCode.ValidationFailed, 'a path must not contain a NUL byte');
  let relative = path;
  if (path === '~') relative = USER_HOME;
  else if (path.startsWith('~/')) relative = `${USER_HOME}${path.slice(1)}`;
  else if (path.startsWith('~'))
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `${path}: only "~" (the home of "user") is known in a Paddock sandbox`,
    );
  return posix.resolve(USER_HOME, relative);
}

/** A request message checked against its schema (`invalid_argument` naming the field). */
export function parseMessage<T>(schema: z.ZodType<T>, message: Record<string, unknown>): T {
  const result = schema.safeParse(message);
  if (result.success) return result.data;
  const said = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConnectError(ConnectCode.InvalidArgument, said.join('; '));
}

/** The call's path resolved, its user checked, the path in the audit record. */
export function callPath(call: EnvdCall, path: string): string {
  requireSandboxUser(call.user);
  const resolved = resolveEnvdPath(path);
  call.ctx.audit.details = { path: resolved };
  return resolved;
}

const FILE_TYPES = {
  file: 'FILE_TYPE_FILE',
  directory: 'FILE_TYPE_DIRECTORY',
  symlink: 'FILE_TYPE_SYMLINK',
  other: 'FILE_TYPE_UNSPECIFIED',
} as const;

/** envd's `EntryInfo` in proto3 JSON. */
export type EntryInfoJson = {
  name: string;
  type: (typeof FILE_TYPES)[keyof typeof FILE_TYPES];
  path: string;
  size: string;
  mode: number;
  permissions: string;
  owner: string;
  group: string;
  modifiedTime: string;
  symlinkTarget?: string;
};

/** The mode as Go's `FileMode.String()` writes it (`-rw-r--r--`, `drwxr-xr-x`, `Lrwxrwxrwx`). */
export function permissionsOf(info: Pick<FileInfo, 'type' | 'mode'>): string {
  let kind = '';
  if (info.type === 'directory') kind += 'd';
  if (info.type === 'symlink') kind += 'L';
  if (info.mode & 0o4000) kind += 'u';
  if (info.mode & 0o2000) kind += 'g';
  if (info.mode & 0o1000) kind += 't';
  const letters = 'rwxrwxrwx';
  let bits = '';
  for (let i = 0; i < 9; i++) bits += info.mode & (1 << (8 - i)) ? letters[i] : '-';
  return `${kind || '-'}${bits}`;
}

/** A file of the seam as envd's `EntryInfo` (`mode` is the permission bits, as envd's). */
export function entryInfo(info: FileInfo, symlinkTarget?: string): EntryInfoJson {
  return {
    name: info.name,
    type: FILE_TYPES[info.type],
    path: info.path,
    size: String(info.sizeBytes),
    mode: info.mode & 0o777,
    permissions: permissionsOf(info),
    owner: OWNER,
    group: OWNER,
    modifiedTime: info.modifiedAt,
    ...(symlinkTarget === undefined ? {} : { symlinkTarget }),
  };
}

/**
 * Where a symlink points, as an absolute path (one level resolved, as `ln -s` wrote it): read
 * from the tar header the seam's `download` gives for the link itself. Undefined when that fails.
 */
export async function symlinkTargetOf(
  call: EnvdCall,
  ref: SandboxRef,
  path: string,
): Promise<string | undefined> {
  try {
    const tar = await call.deps.engine.runtime.files.download(ref, path);
    const chunks: Uint8Array[] = [];
    for await (const chunk of tar) chunks.push(chunk);
    const inspection = inspectTar(Buffer.concat(chunks));
    if ('problem' in inspection) return undefined;
    const link = inspection.entries.find((entry) => entry.type === '2');
    if (link === undefined || link.linkName === '') return undefined;
    return posix.resolve(posix.dirname(path), link.linkName);
  } catch {
    return undefined;
  }
}

/** The entry of one path (a symlink itself, with its target). */
export async function statEntry(call: EnvdCall, path: string): Promise<EntryInfoJson> {
  const info = await call.deps.engine.runtime.files.stat(call.ref, path);
  const target =
    info.type === 'symlink' ? await symlinkTargetOf(call, call.ref, info.path) : undefined;
  return entryInfo(info, target);
}
