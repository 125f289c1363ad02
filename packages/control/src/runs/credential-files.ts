/**
 * A `files` credential's value (an uncompressed tar archive of one directory) read into the files
 * of that directory, for `SandboxRuntime.bindReadOnlyFiles`: nothing is extracted inside a
 * sandbox. Pure. Regular files and directories only; a link, device or FIFO is refused, as is a
 * path with `..`.
 */
import type { ReadOnlyFiles } from '@paddock/core';

const BLOCK = 512;
type File = ReadOnlyFiles['files'][number];

function text(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end === -1 ? field : field.subarray(0, end));
}

function octal(bytes: Uint8Array, start: number, length: number): number {
  const digits = text(bytes, start, length).trim();
  return /^[0-7]+$/.test(digits) ? Number.parseInt(digits, 8) : Number.NaN;
}

/** The `path` record of a pax extended header ("LEN key=value\n" each). */
function paxPath(data: Uint8Array): string | undefined {
  const records = new TextDecoder().decode(data);
  for (const match of records.matchAll(/\d+ path=([^\n]*)\n/g)) return match[1];
  return undefined;
}

/**
 * The files of the archive's one top-level directory, with paths relative to it, or what is
 * wrong with the archive (a phrase: "holds a symlink a/b").
 */
export function filesOfArchive(bytes: Uint8Array): { files: File[] } | { problem: string } {
  const files: File[] = [];
  const tops = new Set<string>();
  let nextName: string | undefined;
  let at = 0;
  while (at + BLOCK <= bytes.length) {
    const header = bytes.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = octal(header, 124, 12);
    if (!Number.isSafeInteger(size)) return { problem: `has a bad header at byte ${at}` };
    const type = String.fromCharCode(header[156] ?? 0);
    const data = bytes.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      nextName = text(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      nextName = paxPath(data) ?? nextName;
      continue;
    }
    if (type === 'g') continue;
    const prefix = text(header, 345, 155);
    const name =
      nextName ?? (prefix === '' ? text(header, 0, 100) : `${prefix}/${text(header, 0, 100)}`);
    nextName = undefined;
    const parts = name.split('/').filter((part) => part !== '' && part !== '.');
    if (parts.includes('..')) return { problem: `holds a path with ..: ${name}` };
    if (parts.length === 0) continue;
    tops.add(parts[0] as string);
    if (type === '5') continue;
    if (type !== '0' && type !== '\0' && type !== '7') {
      const kind = type === '2' ? 'a symlink' : type === '1' ? 'a hard link' : 'a special file';
      return { problem: `holds ${kind} (${name}); only files and directories can be read-only` };
    }
    if (parts.length === 1) return { problem: `holds a file (${name}) outside a directory` };
    files.push({
      path: parts.slice(1).join('/'),
      content: data.slice(),
      mode: octal(header, 100, 8) & 0o777,
    });
  }
  if (tops.size !== 1) return { problem: 'must hold exactly one directory' };
  return { files };
}
