/**
 * A small tar codec (ustar, plus the GNU long-name and pax path records tar writes), so the
 * runtime contract can build and inspect archives without a host tool and the memory runtime
 * can serve `upload` and `download`.
 */

import { concat } from './runtime-fixtures.ts';

export type TarEntry =
  | { path: string; type: 'file'; data: Uint8Array; mode?: number }
  | { path: string; type: 'directory'; mode?: number }
  | { path: string; type: 'symlink'; target: string };

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(entry: TarEntry, size: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const put = (offset: number, text: string, width: number): void => {
    const bytes = encoder.encode(text);
    if (bytes.byteLength > width) throw new Error(`tar field too long: ${text}`);
    block.set(bytes, offset);
  };
  const name = entry.type === 'directory' ? `${entry.path.replace(/\/$/, '')}/` : entry.path;
  const defaultMode = entry.type === 'file' ? 0o644 : entry.type === 'directory' ? 0o755 : 0o777;
  put(0, name, 100);
  put(100, octal(('mode' in entry ? entry.mode : undefined) ?? defaultMode, 8), 8);
  put(108, octal(1000, 8), 8);
  put(116, octal(1000, 8), 8);
  put(124, octal(size, 12), 12);
  put(136, octal(Math.floor(Date.now() / 1000), 12), 12);
  put(156, entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2', 1);
  if (entry.type === 'symlink') put(157, entry.target, 100);
  put(257, 'ustar\x0000', 8);
  block.fill(0x20, 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `, 8);
  return block;
}

/** Encodes entries as a tar archive (paths relative, at most 100 bytes). */
export function encodeTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? entry.data : new Uint8Array(0);
    parts.push(header(entry, data.byteLength), data);
    const padding = (BLOCK - (data.byteLength % BLOCK)) % BLOCK;
    parts.push(new Uint8Array(padding));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return concat(parts);
}

function text(block: Uint8Array, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

function number(block: Uint8Array, offset: number, width: number): number {
  const value = text(block, offset, width).trim();
  return value === '' ? 0 : Number.parseInt(value, 8);
}

function isValidHeader(block: Uint8Array): boolean {
  const recorded = number(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return recorded === sum;
}

/** The path a pax extended header sets, if any. */
function paxPath(data: Uint8Array): string | undefined {
  for (const record of decoder.decode(data).split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}

/** Decodes a tar archive; throws an Error on anything that is not one. */
export function decodeTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  let offset = 0;
  while (offset + BLOCK <= archive.byteLength) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) return entries;
    if (!isValidHeader(block)) throw new Error('not a tar archive: bad header checksum');
    const size = number(block, 124, 12);
    const data = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    if (data.byteLength < size) throw new Error('tar archive cut off');
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const type = text(block, 156, 1);
    if (type === 'L') {
      longName = text(data, 0, data.byteLength);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === 'g') continue;
    const prefix = text(block, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100));
    longName = undefined;
    const path = name.length > 1 ? name.replace(/\/$/, '') : name;
    const mode = number(block, 100, 8) & 0o7777;
    if (type === '5') entries.push({ path, type: 'directory', mode });
    else if (type === '2') entries.push({ path, type: 'symlink', target: text(block, 157, 100) });
    else if (type === '0' || type === '' || type === '7') {
      entries.push({ path, type: 'file', data: data.slice(), mode });
    } else throw new Error(`unsupported tar entry type ${JSON.stringify(type)} for ${path}`);
  }
  if (entries.length === 0) throw new Error('not a tar archive: no entries');
  return entries;
}
