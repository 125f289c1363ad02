import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Sandbox } from 'e2b';
import { type E2bWorld, startE2bWorld } from './e2b-test-support.ts';

describe("the SDK's signed file URLs (uploadUrl, downloadUrl)", () => {
  let w: E2bWorld;
  let sbx: Sandbox;
  before(async () => {
    w = await startE2bWorld();
    sbx = await Sandbox.create('base', w.opts(w.alice));
  });
  after(async () => {
    await sbx.kill();
    await w.close();
  });

  it('uploads to and downloads from a URL that carries only its signature', async () => {
    const upload = await sbx.uploadUrl('/home/user/signed.txt');
    assert.doesNotMatch(upload, /\/e2b\//, 'the SDK builds it on the origin root');
    const form = new FormData();
    form.append('file', new Blob(['through a signed url']), 'signed.txt');
    const put = await fetch(upload, { method: 'POST', body: form });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(await sbx.files.read('/home/user/signed.txt'), 'through a signed url');
    const download = await sbx.downloadUrl('/home/user/signed.txt', { useSignatureExpiration: 60 });
    const got = await fetch(download);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'through a signed url');
  });

  it('refuses a URL whose signature was changed, or was made for another path', async () => {
    const download = new URL(await sbx.downloadUrl('/home/user/signed.txt'));
    const forged = new URL(download);
    forged.searchParams.set(
      'signature',
      `${download.searchParams.get('signature')?.slice(0, -2)}AA`,
    );
    assert.equal((await fetch(forged)).status, 401);
    const moved = new URL(download);
    moved.searchParams.set('path', '/home/user/.bashrc');
    assert.equal((await fetch(moved)).status, 401);
  });
});
