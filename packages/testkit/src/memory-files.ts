import { posix } from 'node:path';
import { ErrorCode, type FileInfo, PaddockError } from '@paddock/core';
import { decodeTar, encodeTar, type TarEntry } from './tar-archive.ts';

type Node =
  | { type: 'file'; data: Uint8Array; mode: number; modifiedAt: string }
  | { type: 'directory'; mode: number; modifiedAt: string }
  | { type: 'symlink'; target: string; modifiedAt: string };

/** The writable roots the files API serves, as in the local runtime. */
export const MEMORY_ROOTS = ['/workspace', '/tmp', '/home/user'] as const;

const UMASK = 0o022;
const MAX_LINKS = 40;

const isInside = (path: string): boolean =>
  MEMORY_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
const isRoot = (path: string): boolean => (MEMORY_ROOTS as readonly string[]).includes(path);

function wrongType(path: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${path} ${message}`, {
    path,
    issues: [{ path: 'path', message: `${path} ${message}` }],
  });
}

function missing(path: string): PaddockError {
  return new PaddockError(ErrorCode.NotFound, `${path} does not exist`, { path });
}

function outside(path: string, resolved: string): PaddockError {
  return new PaddockError(
    ErrorCode.PathOutsideSandbox,
    `${path} resolves to ${resolved}, outside the sandbox's writable directories`,
    { path },
  );
}

/** The lexical check: absolute, and inside a root once `.` and `..` are resolved. */
export function confine(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) {
    throw new PaddockError(ErrorCode.ValidationFailed, `path must be absolute: ${path}`, {
      issues: [{ path: 'path', message: 'must be an absolute path inside the sandbox' }],
    });
  }
  const normal = posix.normalize(path);
  const trimmed = normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
  if (!isInside(trimmed)) throw outside(path, trimmed);
  return trimmed;
}

/**
 * The files of one memory sandbox: directories, files and symlinks under the writable roots,
 * with the local runtime's rules (symlinks resolved as `realpath -m` does; `..` or a link that
 * leaves the roots is `path_outside_sandbox`; tar archives in and out).
 */
export class MemoryFileTree {
  readonly #nodes = new Map<string, Node>();
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
    for (const root of MEMORY_ROOTS) this.#nodes.set(root, this.#dir(0o755));
  }

  /** Empties /tmp (a tmpfs: it does not outlive a stop). */
  clearTmp(): void {
    for (const path of this.#subtree('/tmp')) if (path !== '/tmp') this.#nodes.delete(path);
  }

  read(path: string): Uint8Array {
    const target = this.#follow(confine(path), path);
    const node = this.#existing(target, path);
    if (node.type !== 'file') throw wrongType(path, 'is a directory');
    return node.data.slice();
  }

  write(path: string, data: Uint8Array, mode: number | undefined): void {
    if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)) {
      throw new PaddockError(ErrorCode.ValidationFailed, `invalid file mode ${mode}`, {
        issues: [{ path: 'mode', message: 'must be permission bits from 0 to 0o7777' }],
      });
    }
    const target = this.#follow(confine(path), path);
    const node = this.#nodes.get(target);
    if (node?.type === 'directory') throw wrongType(path, 'is a directory');
    this.#mkdirs(posix.dirname(target), path);
    const keep = node?.type === 'file' ? node.mode : 0o666 & ~UMASK;
    this.#nodes.set(target, {
      type: 'file',
      data: data.slice(),
      mode: mode ?? keep,
      modifiedAt: this.#stamp(),
    });
  }

  list(path: string): FileInfo[] {
    const dir = confine(path);
    const target = this.#follow(dir, path);
    if (this.#existing(target, path).type !== 'directory')
      throw wrongType(path, 'is not a directory');
    return [...this.#nodes.keys()]
      .filter((p) => posix.dirname(p) === target && p !== target)
      .map((p) => this.#info(posix.join(dir, posix.basename(p)), p))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  stat(path: string): FileInfo {
    const confined = confine(path);
    const target = this.#noFollow(confined, path);
    this.#existing(target, path);
    return this.#info(confined, target);
  }

  mkdir(path: string): void {
    this.#mkdirs(this.#follow(confine(path), path), path);
  }

  move(from: string, to: string): void {
    const [source, dest] = [confine(from), confine(to)];
    if (isRoot(source) || isRoot(dest)) {
      throw wrongType(from, `cannot be moved to ${to}: a sandbox root stays`);
    }
    const [src, dst] = [this.#noFollow(source, from), this.#noFollow(dest, to)];
    const node = this.#existing(src, from);
    this.#mkdirs(posix.dirname(dst), to);
    const there = this.#nodes.get(dst);
    const isEmptyDir = there?.type === 'directory' && this.#subtree(dst).length === 1;
    if (
      (there !== undefined && (node.type === 'directory') !== (there.type === 'directory')) ||
      (there?.type === 'directory' && !isEmptyDir) ||
      dst === src ||
      dst.startsWith(`${src}/`)
    ) {
      throw wrongType(to, `cannot be replaced by ${from}`);
    }
    const moved = this.#subtree(src).map((p) => [p, this.#nodes.get(p)] as const);
    for (const [p] of moved) this.#nodes.delete(p);
    for (const [p, n] of moved) if (n) this.#nodes.set(dst + p.slice(src.length), n);
  }

  remove(path: string, isRecursive: boolean): void {
    const confined = confine(path);
    if (isRoot(confined)) throw wrongType(path, 'cannot be removed: a sandbox root stays');
    const target = this.#noFollow(confined, path);
    const node = this.#existing(target, path);
    const tree = this.#subtree(target);
    if (node.type === 'directory' && tree.length > 1 && !isRecursive) {
      throw wrongType(path, 'is a directory that is not empty');
    }
    for (const p of tree) this.#nodes.delete(p);
  }

  upload(path: string, archive: Uint8Array): void {
    const target = this.#follow(confine(path), path);
    let items: TarEntry[];
    try {
      items = decodeTar(archive);
    } catch (error) {
      const reason = (error as Error).message;
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `the archive cannot be extracted into ${path}: ${reason}`,
        {
          path,
          issues: [{ path: 'archive', message: reason }],
        },
      );
    }
    const unsafe = items.find((item) => item.path.split('/').includes('..'));
    if (unsafe) {
      const reason = `${unsafe.path}: member name contains '..'`;
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `the archive cannot be extracted into ${path}: ${reason}`,
        {
          path,
          issues: [{ path: 'archive', message: reason }],
        },
      );
    }
    this.#mkdirs(target, path);
    for (const item of items) {
      const name = posix.join(target, item.path.replace(/^\/+/, ''));
      const dest = this.#noFollow(name, name);
      if (item.type === 'directory') {
        this.#mkdirs(this.#follow(dest, name), name);
        continue;
      }
      this.#mkdirs(posix.dirname(dest), name);
      const modifiedAt = this.#stamp();
      this.#nodes.set(
        dest,
        item.type === 'file'
          ? { type: 'file', data: item.data, mode: (item.mode ?? 0o644) & ~UMASK, modifiedAt }
          : { type: 'symlink', target: item.target, modifiedAt },
      );
    }
  }

  download(path: string): Uint8Array {
    const confined = confine(path);
    this.#existing(this.#follow(confined, path), path);
    const top = this.#noFollow(confined, path);
    const base = posix.basename(confined);
    const items: TarEntry[] = [];
    for (const p of this.#subtree(top).sort()) {
      const node = this.#nodes.get(p);
      const name = base + p.slice(top.length);
      if (node?.type === 'file')
        items.push({ path: name, type: 'file', data: node.data, mode: node.mode });
      if (node?.type === 'directory')
        items.push({ path: name, type: 'directory', mode: node.mode });
      if (node?.type === 'symlink')
        items.push({ path: name, type: 'symlink', target: node.target });
    }
    return encodeTar(items);
  }

  /** `realpath -m`: every symlink on the way resolved, missing parts kept as they are. */
  #resolve(path: string): string {
    const pending = path.split('/').filter(Boolean);
    let current = '/';
    let links = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '.') continue;
      if (part === '..') {
        current = posix.dirname(current);
        continue;
      }
      const next = posix.join(current, part);
      const node = this.#nodes.get(next);
      if (node?.type !== 'symlink') {
        current = next;
        continue;
      }
      links += 1;
      if (links > MAX_LINKS) throw wrongType(path, 'has too many levels of symbolic links');
      pending.unshift(...node.target.split('/').filter(Boolean));
      if (node.target.startsWith('/')) current = '/';
    }
    return current;
  }

  #follow(path: string, asked: string): string {
    const resolved = this.#resolve(path);
    if (!isInside(resolved)) throw outside(asked, resolved);
    return resolved;
  }

  #noFollow(path: string, asked: string): string {
    const resolved = posix.join(this.#resolve(posix.dirname(path)), posix.basename(path));
    if (!isInside(resolved)) throw outside(asked, resolved);
    return resolved;
  }

  #existing(path: string, asked: string): Node {
    const node = this.#nodes.get(path);
    if (node === undefined) throw missing(asked);
    return node;
  }

  /** `mkdir -p` of a resolved path. */
  #mkdirs(path: string, asked: string): void {
    let current = '';
    for (const part of path.split('/').filter(Boolean)) {
      current = `${current}/${part}`;
      if (!isInside(current)) continue;
      const node = this.#nodes.get(current);
      if (node === undefined) this.#nodes.set(current, this.#dir(0o777 & ~UMASK));
      else if (node.type !== 'directory') throw wrongType(asked, 'is not a directory');
    }
  }

  /** `path` and everything under it. */
  #subtree(path: string): string[] {
    return [...this.#nodes.keys()].filter((p) => p === path || p.startsWith(`${path}/`));
  }

  #info(path: string, resolved: string): FileInfo {
    const node = this.#existing(resolved, path);
    return {
      path,
      name: posix.basename(path),
      type: node.type,
      sizeBytes:
        node.type === 'file'
          ? node.data.byteLength
          : node.type === 'symlink'
            ? node.target.length
            : 4096,
      mode: node.type === 'symlink' ? 0o777 : node.mode,
      modifiedAt: node.modifiedAt,
    };
  }

  #dir(mode: number): Node {
    return { type: 'directory', mode, modifiedAt: this.#stamp() };
  }

  #stamp(): string {
    return this.#now().toISOString();
  }
}
