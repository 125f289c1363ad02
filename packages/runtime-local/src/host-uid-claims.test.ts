import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HostUidClaims, prepareClaimsDir } from './host-uid-claims.ts';
import { readState, SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, skipReason, type TestWorld } from './test-sandboxes.ts';

const BASE = 2_120_000_000;

/** One claim by a runtime fresh on `root` (it reads its sandboxes' uids anew). */
const claimHostUid = (root: string, base: number, claimsDir: string) =>
  new HostUidClaims(root, base, claimsDir).claim();
const releaseHostUid = (root: string, uid: number, claimsDir: string) =>
  new HostUidClaims(root, uid, claimsDir).release(uid);

describe('host uid claims', () => {
  let dir: string;
  let claims: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'paddock-uid-claims-'));
    claims = join(dir, 'claims');
    prepareClaimsDir(claims);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("gives two runtimes different uids, and a released one to another runtime's claim", () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const c = join(dir, 'a-later');
    mkdirSync(a);
    mkdirSync(b);
    mkdirSync(c);
    assert.equal(claimHostUid(a, BASE, claims), BASE);
    assert.equal(claimHostUid(b, BASE, claims), BASE + 1, 'not the uid a claimed');
    assert.equal(readFileSync(join(claims, String(BASE)), 'utf8'), a);
    releaseHostUid(b, BASE, claims);
    assert.ok(existsSync(join(claims, String(BASE))), "b cannot release a's claim");
    releaseHostUid(a, BASE, claims);
    assert.equal(claimHostUid(c, BASE, claims), BASE);
  });

  it('resumes after its last claim, and never hands a uid given back to its own root again', () => {
    const root = join(dir, 'f');
    mkdirSync(root);
    const uids = new HostUidClaims(root, BASE + 40, claims);
    assert.deepEqual([uids.claim(), uids.claim(), uids.claim()], [BASE + 40, BASE + 41, BASE + 42]);
    uids.release(BASE + 41);
    assert.ok(!existsSync(join(claims, String(BASE + 41))), 'the claim file is removed');
    assert.equal(uids.claim(), BASE + 43);
    // Nor after a restart, which no longer sees the destroyed sandbox's state.
    uids.release(BASE + 43);
    assert.equal(new HostUidClaims(root, BASE + 40, claims).claim(), BASE + 44);
  });

  it('takes over a claim whose runtime no longer holds the uid', () => {
    writeFileSync(join(claims, String(BASE + 10)), join(dir, 'gone'));
    assert.equal(claimHostUid(join(dir, 'c'), BASE + 10, claims), BASE + 10);
    assert.equal(readFileSync(join(claims, String(BASE + 10)), 'utf8'), join(dir, 'c'));
  });

  it("respects another live runtime's young claim, and takes over an old one its sandboxes do not hold", () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    const claim = (uid: number) => join(claims, String(uid));
    writeFileSync(claim(BASE + 30), other);
    writeFileSync(claim(BASE + 31), other);
    const old = new Date(Date.now() - 120_000);
    utimesSync(claim(BASE + 31), old, old);
    assert.equal(claimHostUid(join(dir, 'e'), BASE + 30, claims), BASE + 31);
    assert.equal(readFileSync(claim(BASE + 30), 'utf8'), other, 'the young claim stays');
    assert.equal(readFileSync(claim(BASE + 31), 'utf8'), join(dir, 'e'));
  });

  it('without a claims directory, hands out uids unique under its root unclaimed', () => {
    const missing = join(dir, 'no-claims');
    assert.equal(claimHostUid(join(dir, 'd'), BASE + 20, missing), BASE + 20);
    assert.ok(!existsSync(missing), 'nothing is created per claim');
  });
});

describe('host uid claims across two real runtimes', { skip: skipReason }, () => {
  let claims: string;
  const worlds: TestWorld[] = [];
  before(() => {
    claims = mkdtempSync(join(tmpdir(), 'paddock-uid-claims-'));
  });
  after(async () => {
    for (const w of worlds) await w.cleanup();
    rmSync(claims, { recursive: true, force: true });
  });

  it('never runs two sandboxes of two data directories as one host uid', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('host uids are per sandbox only as root');
    const options = { hostUidBase: BASE + 100, hostUidClaimsDir: claims };
    const first = createTestWorld(options);
    const second = createTestWorld(options);
    worlds.push(first, second);
    const hostUid = async (w: TestWorld) => {
      const ref = await w.provision();
      return readState(new SandboxDirs(w.root, ref))?.hostUid;
    };
    const [a, b] = [await hostUid(first), await hostUid(second)];
    assert.equal(a, BASE + 100);
    assert.equal(b, BASE + 101);
    // Destroying gives the uid back.
    for (const ref of await first.runtime.list()) await first.runtime.destroy(ref);
    assert.ok(!existsSync(join(claims, String(BASE + 100))));
  });
});
