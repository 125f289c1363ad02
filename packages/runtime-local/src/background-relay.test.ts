// The relay of a background process's output (background-relay.pl), driven as a chain drives it:
// forked ahead, handed the job's directory, asked to drain once the command has ended.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const RELAY = join(import.meta.dirname, 'background-relay.pl');

/** A chain in miniature: its command writes `lines` and ends at once; the chain drains. */
const CHAIN = `
require $ARGV[0];
open(my $request, '<', '/dev/null') or die;
relay_ahead(fileno $request);
relay_output($ARGV[1]);
syswrite(STDOUT, "out $_\\n"), syswrite(STDERR, "err $_\\n") for 1 .. 3;
relay_drained();
exit 0;
`;

function runChain(dir: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('perl', ['-e', CHAIN, RELAY, dir], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

describe('background output relay', () => {
  const root = mkdtempSync(join(tmpdir(), 'paddock-relay-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('has copied all a command wrote when its chain ends, however soon it ends', async () => {
    // The drain request often comes with the directory here: the relay must see both.
    for (let i = 0; i < 20; i++) {
      const dir = mkdtempSync(join(root, 'job-'));
      assert.equal(await runChain(dir), 0);
      assert.equal(readFileSync(join(dir, 'stdout'), 'utf8'), 'out 1\nout 2\nout 3\n');
      assert.equal(readFileSync(join(dir, 'stderr'), 'utf8'), 'err 1\nerr 2\nerr 3\n');
    }
  });
});
