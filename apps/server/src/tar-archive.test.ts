import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inspectTar } from './tar-archive.ts';

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
});
