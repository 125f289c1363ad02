/**
 * Reading the headers of a tar archive (ustar, GNU and pax) without extracting it, so that a
 * body that `tar -x` would refuse, or half-extract, is refused before anything is written.
 * Pure: no I/O.
 */

const BLOCK = 512;

/** One member of an archive: its path as tar will use it, its type flag, a hard link's target. */
export type TarEntry = { name: string; type: string; linkName: string };

/** The members of an archive, or what is wrong with it (a phrase: "is not a tar archive"). */
export type TarInspection = { entries: TarEntry[] } | { problem: string };

/** Type flags whose size field says nothing about data blocks (links, devices, directories, FIFOs). */
const WITHOUT_DATA = new Set(['1', '2', '3', '4', '5', '6']);

const COMPRESSIONS: ReadonlyArray<[string, number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

function text(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(end === -1 ? field : field.subarray(0, end)).toString('utf8');
}

/** A numeric header field: octal text, or base-256 when its first byte has the high bit set. */
function numeric(bytes: Uint8Array, start: number, length: number): number {
  const first = bytes[start] ?? 0;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + (bytes[start + i] ?? 0);
    return value;
  }
  const digits = text(bytes, start, length).trim();
  return /^[0-7]*$/.test(digits) ? Number.parseInt(digits || '0', 8) : Number.NaN;
}

/** Whether the header's checksum matches (tar accepts the unsigned and the signed sum). */
function hasValidChecksum(header: Uint8Array): boolean {
  const stored = numeric(header, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** The `path` and `linkpath` records of a pax extended header ("LEN key=value\n" each). */
function paxRecords(data: Uint8Array): Map<string, string> | undefined {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(Buffer.from(data.subarray(at, space)).toString('latin1'));
    if (space === -1 || !Number.isInteger(length) || length <= space - at) return undefined;
    const record = Buffer.from(data.subarray(space + 1, at + length)).toString('utf8');
    const equals = record.indexOf('=');
    if (equals === -1 || !record.endsWith('\n')) return undefined;
    records.set(record.slice(0, equals), record.slice(equals + 1, -1));
    at += length;
  }
  return records;
}

function climbsOut(path: string): boolean {
  return path.split('/').includes('..');
}

function isZeroBlock(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/**
 * The members of `bytes` read as an uncompressed tar archive (what `tar -x` of GNU tar takes on
 * stdin), or its first problem: empty, compressed, not a tar, a bad header, cut off, or a member
 * (or hard link target) with a `..` component, which tar refuses to extract.
 */
export function inspectTar(bytes: Uint8Array): TarInspection {
  if (bytes.length === 0) return { problem: 'is empty; a tar archive was expected' };
  for (const [name, magic] of COMPRESSIONS) {
    if (magic.every((byte, i) => bytes[i] === byte)) {
      return { problem: `is ${name}-compressed; send an uncompressed tar archive` };
    }
  }
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  let longLink: string | undefined;
  let at = 0;
  while (at < bytes.length) {
    const header = bytes.subarray(at, at + BLOCK);
    if (isZeroBlock(header)) break;
    const position = `the header at byte ${at}`;
    const isValid = header.length === BLOCK && hasValidChecksum(header);
    if (!isValid && at === 0) return { problem: 'is not a tar archive' };
    if (header.length < BLOCK) return { problem: `is cut off in ${position}` };
    if (!isValid) return { problem: `is a damaged tar archive: ${position} has a bad checksum` };
    const size = numeric(header, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) {
      return { problem: `is a damaged tar archive: ${position} has a bad size` };
    }
    const type = String.fromCharCode(header[156] ?? 0);
    let dataStart = at + BLOCK;
    // An old GNU sparse member may be followed by extension headers before its data.
    if (type === 'S' && header[482] !== 0) {
      while (bytes[dataStart + 504] !== 0 && dataStart < bytes.length) dataStart += BLOCK;
      dataStart += BLOCK;
    }
    const hasData = !WITHOUT_DATA.has(type);
    const next = dataStart + (hasData ? Math.ceil(size / BLOCK) * BLOCK : 0);
    if (next > bytes.length) {
      return {
        problem: `is cut off: the member in ${position} lacks ${next - bytes.length} bytes`,
      };
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    if (type === 'L' || type === 'K') {
      const value = text(data, 0, data.length);
      if (type === 'L') longName = value;
      else longLink = value;
    } else if (type === 'x') {
      const records = paxRecords(data);
      if (records === undefined) {
        return { problem: `is a damaged tar archive: ${position} is a malformed pax header` };
      }
      longName = records.get('path') ?? longName;
      longLink = records.get('linkpath') ?? longLink;
    } else if (type !== 'g') {
      const isUstar = text(header, 257, 5) === 'ustar';
      const prefix = isUstar ? text(header, 345, 155) : '';
      const ownName = prefix === '' ? text(header, 0, 100) : `${prefix}/${text(header, 0, 100)}`;
      const entry = {
        name: longName ?? ownName,
        type,
        linkName: longLink ?? text(header, 157, 100),
      };
      longName = undefined;
      longLink = undefined;
      if (climbsOut(entry.name)) {
        return { problem: `has a member ${JSON.stringify(entry.name)} with a '..' component` };
      }
      if (type === '1' && climbsOut(entry.linkName)) {
        return {
          problem: `has a hard link ${JSON.stringify(entry.name)} to ${JSON.stringify(entry.linkName)}, with a '..' component`,
        };
      }
      entries.push(entry);
    }
    at = next;
  }
  return { entries };
}

/** A member's path without leading `/` and `.` components: what tar extracts it as. */
export function memberPath(name: string): string[] {
  return name.split('/').filter((part) => part !== '' && part !== '.');
}
