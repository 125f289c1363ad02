// How an archive's tar exit is judged. GNU tar's own exits are exercised for real in the
// runtimes' tests (files-archive.test.ts, pod-files.test.ts); these are the exits no GNU tar
// here can give: busybox's, and the wordings a signal or a lost connection leave.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from './errors.ts';
import { archiveFailure } from './file-scripts.ts';

const exited = (exitCode: number) => ({ exitCode, signal: null });

describe('archiveFailure', () => {
  it('passes exit 0, and exit 1 when GNU tar only warned that the tree changed', () => {
    assert.equal(archiveFailure('/w', exited(0), ''), undefined);
    const changed = [
      'tar: w/log: file changed as we read it',
      'tar: w/gone: File removed before we read it',
      'tar: Exiting with failure status due to previous errors',
    ].join('\n');
    assert.equal(archiveFailure('/w', exited(1), changed), undefined);
  });

  it('fails exit 1 with any other message (busybox tar exits 1 for every failure) or none', () => {
    const busybox = archiveFailure('/w', exited(1), "tar: can't open 'w/key': Permission denied\n");
    assert.ok(isPaddockError(busybox, 'internal'));
    assert.equal(
      busybox.message,
      "the archive of /w is incomplete: tar: can't open 'w/key': Permission denied",
    );
    const shrank = archiveFailure(
      '/w',
      exited(1),
      'tar: w/big: File shrank by 100 bytes; padding with zeros\ntar: w/log: file changed as we read it\n',
    );
    assert.match(shrank?.message ?? '', /File shrank by 100 bytes/);
    assert.match(archiveFailure('/w', exited(1), '')?.message ?? '', /tar exited with 1$/);
  });

  it("names tar's first complaint for exit 2, and a kill or a lost connection for no exit code", () => {
    const unreadable =
      'tar: w/b: Cannot open: Permission denied\ntar: Exiting with failure status due to previous errors\n';
    assert.match(archiveFailure('/w', exited(2), unreadable)?.message ?? '', /w\/b: Cannot open/);
    const killed = archiveFailure(
      '/w',
      { exitCode: null, signal: 'SIGKILL' },
      'tar: w/log: file changed as we read it',
    );
    assert.match(killed?.message ?? '', /tar was ended by SIGKILL$/);
    const lost = archiveFailure('/w', { exitCode: null, signal: null }, '');
    assert.match(lost?.message ?? '', /without an exit status/);
    assert.deepEqual(lost?.details, { path: '/w', exitCode: null });
  });
});
