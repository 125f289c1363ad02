import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inspectTar } from './tar-archive.ts';

/** One ustar header block of `fields` (each written at its offset), its checksum filled in. */
function header(fields: { name: string; type: string; size?: string; linkName?: string }): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 'utf8');
  block.write(fields.size ?? '00000000000', 124, 'latin1');
  block.write(fields.type, 156, 'latin1');
  block.write(fields.linkName ?? '', 157, 'utf8');
  block.write('ustar\x0000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** `blocks` followed by the two zero blocks that end an archive. */
const archiveOf = (...blocks: Buffer[]) => Buffer.concat([...blocks, Buffer.alloc(1024)]);

describe('inspectTar reads archives as GNU tar does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-tar-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // Past ustar's 100-character name field: a GNU long name, a pax path, a ustar prefix.
  const long = `${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(60)}.txt`;
  mkdirSync(join(dir, 'tree', long, '..'), { recursive: true });
  writeFileSync(join(dir, 'tree', long), 'long\n');
  writeFileSync(join(dir, 'tree', 'big.bin'), Buffer.alloc(70_000, 7));
  symlinkSync('big.bin', join(dir, 'tree', 'link'));

  for (const format of ['gnu', 'pax', 'ustar']) {
    it(`lists the members tar -t lists (--format=${format})`, () => {
      const archive = execFileSync('tar', [
        '-c',
        '-f',
        '-',
        `--format=${format}`,
        '-C',
        dir,
        'tree',
      ]);
      const listed = execFileSync('tar', ['-t', '-f', '-'], { input: archive })
        .toString('utf8')
        .trim()
        .split('\n');
      const inspection = inspectTar(archive);
      assert.ok('entries' in inspection, JSON.stringify(inspection));
      assert.deepEqual(
        inspection.entries.map((e) => e.name),
        listed,
      );
    });
  }

  it("refuses a pax path with a '..' component that the header's own name hides", () => {
    writeFileSync(join(dir, 'x.txt'), 'x');
    const archive = execFileSync('tar', [
      '-c',
      '-f',
      '-',
      '--format=pax',
      '-C',
      dir,
      '--transform',
      `s|^x.txt$|${'d'.repeat(120)}/../../x.txt|`,
      '-P',
      'x.txt',
    ]);
    assert.deepEqual(inspectTar(archive), {
      problem: `has a member "${'d'.repeat(120)}/../../x.txt" with a '..' component`,
    });
  });

  it('refuses a header whose size is not a number', () => {
    const archive = archiveOf(header({ name: 'a.txt', type: '0', size: 'not octal!' }));
    assert.deepEqual(inspectTar(archive), {
      problem: 'is a damaged tar archive: the header at byte 0 has a bad size',
    });
  });

  it('refuses a malformed pax header', () => {
    const records = Buffer.alloc(512);
    records.write('garbage without a length\n');
    const archive = archiveOf(
      header({ name: 'PaxHeaders/a.txt', type: 'x', size: '00000000031' }),
      records,
      header({ name: 'a.txt', type: '0' }),
    );
    assert.deepEqual(inspectTar(archive), {
      problem: 'is a damaged tar archive: the header at byte 0 is a malformed pax header',
    });
  });

  it("refuses a hard link whose target has a '..' component", () => {
    const archive = archiveOf(header({ name: 'tree/a', type: '1', linkName: '../outside' }));
    assert.deepEqual(inspectTar(archive), {
      problem: `has a hard link "tree/a" to "../outside", with a '..' component`,
    });
  });

  it('lists a header it accepts, so the refusals above are about the field they change', () => {
    const archive = archiveOf(header({ name: 'tree/a', type: '1', linkName: 'tree/b' }));
    assert.deepEqual(inspectTar(archive), {
      entries: [{ name: 'tree/a', type: '1', linkName: 'tree/b' }],
    });
  });
});
