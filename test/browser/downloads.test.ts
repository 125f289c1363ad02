// Downloads from the Files tab stream to disk through signed links, in chromium against a real
// `paddock up` on the real bubblewrap runtime: a file with a non-ASCII name, a 32 MiB file
// byte-exact, and a folder as a tar archive. Each download's URL is the signed link itself (the
// browser fetched it), not a Blob URL of bytes the page held.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason } from '@paddock/testkit';
import type { Download, Page } from 'playwright-core';
import { type BrowserWorld, chromiumSkipReason, startBrowserWorld } from './browser.ts';

const BOX = 'downloads';
const NAMED = 'résumé final €.txt';
const NAMED_TEXT = 'bonjour, monde\n';
const BIG_BYTES = 32 * 1024 * 1024;

describe('downloads from the Files tab, in chromium', {
  skip: chromiumSkipReason() || bwrapSkipReason(),
  timeout: 240_000,
}, () => {
  let w: BrowserWorld;
  let bigSha256: string;

  before(async () => {
    w = await startBrowserWorld([]);
    await w.api.sandboxes.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: BOX },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } } as never,
    });
    await w.api.sandboxes.waitFor(BOX, (s) => s.status?.phase === 'Running');
    await w.api.sandboxes.files.write(BOX, `/workspace/${NAMED}`, NAMED_TEXT);
    const made = await w.api.sandboxes.exec(BOX, {
      command: [
        'sh',
        '-c',
        `mkdir -p /workspace/out/sub && echo one > /workspace/out/one.txt && ` +
          `echo two > /workspace/out/sub/two.txt && ` +
          `head -c ${BIG_BYTES} /dev/urandom > /workspace/big.bin && sha256sum /workspace/big.bin`,
      ],
    });
    assert.equal(made.exitCode, 0, made.stderr);
    bigSha256 = made.stdout.split(' ')[0] ?? '';
  });
  after(async () => {
    await w?.close();
  });

  /** Clicks `button` in the Files tab and returns the download it starts. */
  async function downloadFrom(page: Page, button: string): Promise<Download> {
    const started = page.waitForEvent('download');
    await page.getByRole('button', { name: button, exact: true }).click();
    const download = await started;
    const url = new URL(download.url());
    assert.equal(url.origin, new URL(w.url).origin);
    assert.equal(url.pathname, `/api/v1/namespaces/default/sandboxes/${BOX}/files/download`);
    assert.ok(url.searchParams.get('token'), 'a signed link, not a Blob URL');
    return download;
  }

  it('saves files and a folder through signed links', async () => {
    const { context, page } = await w.newPage();
    try {
      await page.goto(`${w.url}/sandboxes/${BOX}`);
      await page.getByRole('tab', { name: 'Files' }).click();

      const named = await downloadFrom(page, `Download ${NAMED}`);
      assert.equal(named.suggestedFilename(), NAMED);
      assert.equal(readFileSync(await named.path(), 'utf8'), NAMED_TEXT);
      await page.getByText(`Downloading ${NAMED}`).waitFor();

      const big = await downloadFrom(page, 'Download big.bin');
      const saved = readFileSync(await big.path());
      assert.equal(saved.length, BIG_BYTES);
      assert.equal(createHash('sha256').update(saved).digest('hex'), bigSha256);

      const folder = await downloadFrom(page, 'Download out as .tar');
      assert.equal(folder.suggestedFilename(), 'out.tar');
      const members = execFileSync('tar', ['-tf', await folder.path()], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.replace(/^\.\//, ''));
      for (const member of ['out/one.txt', 'out/sub/two.txt']) {
        assert.ok(members.includes(member), `${member} in ${members.join(', ')}`);
      }
    } finally {
      await context.close();
    }
  });
});
