import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EtcView } from './etc-view.ts';
import { hostSystemView } from './system-view.ts';

const scratch = mkdtempSync(join(tmpdir(), 'paddock-etc-view-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A host root with an `/etc` of allowed entries and secrets. */
function fakeHost(): string {
  const host = mkdtempSync(join(scratch, 'host-'));
  const etc = join(host, 'etc');
  mkdirSync(join(etc, 'ssl', 'certs'), { recursive: true });
  mkdirSync(join(etc, 'ssl', 'private'), { recursive: true });
  writeFileSync(join(etc, 'ssl', 'private', 'key.pem'), 'secret');
  writeFileSync(join(etc, 'ssl', 'certs', 'ca.pem'), 'ca');
  writeFileSync(join(etc, 'shadow'), 'root:secret');
  writeFileSync(join(etc, 'passwd'), 'root:x:0:0');
  writeFileSync(join(etc, 'ld.so.cache'), 'cache-1');
  symlinkSync('/usr/share/zoneinfo/UTC', join(etc, 'localtime'));
  return host;
}

describe('etc view', () => {
  it('copies only the allowed entries, links as they are, with placeholders for Paddock’s files', () => {
    const host = fakeHost();
    const dir = new EtcView(join(mkdtempSync(join(scratch, 'root-')), 'etc'), host).current();
    assert.equal(readFileSync(join(dir, 'ssl', 'certs', 'ca.pem'), 'utf8'), 'ca');
    assert.equal(readFileSync(join(dir, 'ld.so.cache'), 'utf8'), 'cache-1');
    assert.equal(readlinkSync(join(dir, 'localtime')), '/usr/share/zoneinfo/UTC');
    assert.equal(readlinkSync(join(dir, 'mtab')), '../proc/self/mounts');
    for (const secret of ['shadow', 'ssl/private'])
      assert.ok(!existsSync(join(dir, secret)), secret);
    // The host's passwd never: Paddock's, and a placeholder for each sandbox's hostname.
    assert.match(readFileSync(join(dir, 'passwd'), 'utf8'), /^user:x:1000:1000:/m);
    assert.doesNotMatch(readFileSync(join(dir, 'passwd'), 'utf8'), /root:x:0:0$/m);
    assert.equal(readFileSync(join(dir, 'hostname'), 'utf8'), '');
  });

  it('is made once, and anew when a host entry changes, leaving the old copy as it was', () => {
    const host = fakeHost();
    // Looked at on every start (0 ms between looks), so the change below shows at once.
    const view = new EtcView(join(mkdtempSync(join(scratch, 'root-')), 'etc'), host, 0);
    const first = view.current();
    assert.equal(view.current(), first);
    // Replaced the way package managers do: a new file renamed over the old one.
    writeFileSync(join(host, 'etc', 'ld.so.cache.new'), 'cache-2');
    rmSync(join(host, 'etc', 'ld.so.cache'));
    writeFileSync(
      join(host, 'etc', 'ld.so.cache'),
      readFileSync(join(host, 'etc', 'ld.so.cache.new')),
    );
    const second = view.current();
    assert.notEqual(second, first);
    assert.equal(readFileSync(join(second, 'ld.so.cache'), 'utf8'), 'cache-2');
    assert.equal(readFileSync(join(first, 'ld.so.cache'), 'utf8'), 'cache-1');
  });

  it('looks at the host again only once its recheck interval has passed', () => {
    const host = fakeHost();
    const view = new EtcView(join(mkdtempSync(join(scratch, 'root-')), 'etc'), host, 3_600_000);
    const first = view.current();
    rmSync(join(host, 'etc', 'ld.so.cache'));
    writeFileSync(join(host, 'etc', 'ld.so.cache'), 'cache-2');
    assert.equal(view.current(), first);
    assert.equal(readFileSync(join(first, 'ld.so.cache'), 'utf8'), 'cache-1');
  });

  it('is bound whole at /etc, with resolv.conf over it only when the network is shared', () => {
    const host = fakeHost();
    writeFileSync(join(host, 'etc', 'resolv.conf'), 'nameserver 10.0.0.1');
    const closed = hostSystemView({ shareNetwork: false, hostRoot: host, etcView: '/v' });
    const etc = closed.filter((e) => e.dest === '/etc' || e.dest.startsWith('/etc/'));
    assert.deepEqual(etc, [{ kind: 'bind', source: '/v', dest: '/etc' }]);
    const open = hostSystemView({ shareNetwork: true, hostRoot: host, etcView: '/v' });
    assert.ok(open.some((e) => e.kind === 'bind' && e.dest === '/etc/resolv.conf'));
  });
});
