// What people do in the web UI, end to end in chromium against a real `paddock up` on the real
// bubblewrap runtime: create a sandbox, use its terminal and files, open a preview on its own
// origin, watch a run stream, and meet the policy before creating.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import type { Page } from 'playwright-core';
import {
  type BrowserWorld,
  chromiumSkipReason,
  type PageGlobals,
  screenshot,
  startBrowserWorld,
} from './browser.ts';

const API_VERSION = 'paddock.dev/v1alpha1';
const SITE = '<h1>served from the sandbox</h1>\n';
const STREAMED =
  'Streaming one word at a time so that the transcript grows visibly until the closing word: done.';

describe('journeys through the web UI, in chromium', {
  skip: chromiumSkipReason() || bwrapSkipReason(),
  timeout: 240_000,
}, () => {
  let w: BrowserWorld;
  const sandbox = (name: string, template: { kind: string; name: string }) =>
    w.api.sandboxes.create({
      apiVersion: API_VERSION,
      kind: 'Sandbox',
      metadata: { name },
      spec: { templateRef: template } as never,
    });

  before(async () => {
    w = await startBrowserWorld([]);
    await w.api.resources('SandboxTemplate').create({
      apiVersion: API_VERSION,
      kind: 'SandboxTemplate',
      metadata: { name: 'site' },
      spec: {
        inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'python' },
        files: [{ path: '/workspace/index.html', content: SITE }],
        command: ['python3', '-m', 'http.server', '8000', '--directory', '/workspace'],
        ports: [{ name: 'web', port: 8000, protocol: 'http' }],
      },
    } as never);
    await w.api.resources('Agent').create({
      apiVersion: API_VERSION,
      kind: 'Agent',
      metadata: { name: 'helper' },
      spec: { harness: { kind: 'builtin' }, provider: 'anthropic', model: 'claude-sonnet-4-5' },
    });
    await Promise.all([
      sandbox('term', { kind: 'ClusterSandboxTemplate', name: 'shell' }),
      sandbox('site', { kind: 'SandboxTemplate', name: 'site' }),
    ]);
    for (const name of ['term', 'site']) {
      await w.api.sandboxes.waitFor(name, (s) => s.status?.phase === 'Running');
    }
  });
  after(async () => {
    await w?.close();
  });

  async function withPage(
    run: (page: Page) => Promise<void>,
    options: Parameters<BrowserWorld['newPage']>[0] = {},
  ) {
    const { context, page } = await w.newPage(options);
    try {
      await run(page);
    } finally {
      await context.close();
    }
  }

  it('creates a sandbox from the shell template and sees it Running in the list', async () => {
    await withPage(async (page) => {
      await page.goto(`${w.url}/sandboxes`);
      await page.getByRole('link', { name: 'New sandbox' }).first().click();
      await page.getByLabel('Name', { exact: true }).fill('made-in-ui');
      await page
        .getByLabel('Template', { exact: true })
        .selectOption('ClusterSandboxTemplate/shell');
      const submit = page.getByRole('button', { name: 'Create sandbox' });
      await eventually(() => submit.isEnabled(), { what: 'the create button enabled' });
      await submit.click();
      await page.waitForURL(/\/sandboxes\/made-in-ui$/);
      await page.goto(`${w.url}/sandboxes`);
      const table = page.getByRole('table', { name: 'Sandboxes' });
      const row = table.getByRole('row').filter({ hasText: 'made-in-ui' });
      await row.getByText('Running').waitFor({ timeout: 60_000 });
    });
  });

  it('pauses the sandbox from its page and resumes it', async () => {
    await withPage(async (page) => {
      await page.goto(`${w.url}/sandboxes/made-in-ui`);
      const header = page.locator('.page-header');
      await page.getByRole('button', { name: 'Pause' }).click({ timeout: 60_000 });
      await header.getByText('Paused', { exact: true }).waitFor({ timeout: 30_000 });
      await screenshot(page, 'journey-sandbox-paused');
      await page.getByRole('button', { name: 'Resume' }).click();
      await header.getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
      assert.equal((await w.api.sandboxes.get('made-in-ui')).status?.phase, 'Running');
    });
  });

  it('shows a user a sandbox shared with it, whose it is, and no stop or delete', async () => {
    const { key } = await w.api.apiKeys.create({ name: 'bob', owner: 'bob', role: 'user' });
    await w.api.sandboxes.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: 'alices-box', annotations: { 'paddock.dev/owner': 'alice' } },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' }, sharedWith: ['bob'] },
    });
    await withPage(
      async (page) => {
        await page.goto(`${w.url}/sandboxes/alices-box`);
        await page.getByText('Shared with you by alice').first().waitFor();
        assert.equal(await page.getByRole('button', { name: 'Stop' }).count(), 0);
        assert.equal(await page.getByRole('button', { name: 'Delete' }).count(), 0);
        await screenshot(page, 'journey-shared-sandbox');
      },
      { key },
    );
    // The admin still manages it.
    await withPage(async (page) => {
      await page.goto(`${w.url}/sandboxes/alices-box`);
      await page.getByRole('button', { name: 'Delete' }).first().waitFor();
    });
  });

  it('runs `echo hi` in the terminal and shows `hi` on its own line', async () => {
    await withPage(async (page) => {
      await page.goto(`${w.url}/sandboxes/term`);
      await page.getByText('Connected to a shell in term').waitFor({ timeout: 30_000 });
      await page.getByRole('region', { name: 'Terminal' }).click();
      await page.keyboard.type('echo hi');
      await page.keyboard.press('Enter');
      await eventually(
        async () => {
          const text = await page.locator('.xterm-rows').innerText();
          return text.split('\n').some((line) => line.trim() === 'hi');
        },
        { what: 'a line reading "hi" in the terminal' },
      );
    });
  });

  it('uploads a file in the Files tab and downloads the same bytes', async () => {
    const bytes = Buffer.from(`uploaded through the browser ${Date.now()}\n\u00e9\u00e8\n`);
    await withPage(async (page) => {
      await page.goto(`${w.url}/sandboxes/term`);
      await page.getByRole('tab', { name: 'Files' }).click();
      await page.getByLabel('Upload file').setInputFiles({
        name: 'greeting.txt',
        mimeType: 'text/plain',
        buffer: bytes,
      });
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download greeting.txt' }).click();
      const saved = await (await download).path();
      assert.deepEqual(readFileSync(saved), bytes);
    });
  });

  it('opens a preview of a declared http port on its own origin', async () => {
    await withPage(async (page) => {
      await page.goto(`${w.url}/sandboxes/site`);
      await page.getByRole('tab', { name: 'Ports' }).click();
      const opened = page.context().waitForEvent('page');
      await page.getByRole('link', { name: 'Open preview of port 8000' }).click();
      const preview = await opened;
      await preview.waitForLoadState();
      const previewPort = new URL(w.previewOrigin).port;
      assert.equal(
        new URL(preview.url()).host,
        `8000--site--default.preview.localhost:${previewPort}`,
      );
      assert.equal(new URL(preview.url()).search, '', 'the token is gone from the address');
      await eventually(
        async () => {
          if ((await preview.locator('h1').count()) === 0) await preview.reload();
          return (await preview.locator('h1').innerText()) === 'served from the sandbox';
        },
        { what: 'the page served by the sandbox' },
      );
      const stored = await preview.evaluate(() =>
        (globalThis as unknown as PageGlobals).sessionStorage.getItem('paddock.token'),
      );
      assert.equal(stored, null, 'the preview origin holds no Paddock key');
    });
  });

  it('streams a run into the transcript, then shows its outcome', async () => {
    w.llm.push({ text: STREAMED, chunkDelayMs: 150 });
    await withPage(async (page) => {
      await page.goto(`${w.url}/agents/helper`);
      await page.getByLabel('Prompt').fill('say something slowly');
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.waitForURL(/\/runs\/[^/]+$/);
      const transcript = page.getByRole('log', { name: 'Transcript' });
      const seen: string[] = [];
      await eventually(
        async () => {
          const text = await transcript.innerText();
          if (seen.at(-1) !== text) seen.push(text);
          return text.includes(STREAMED);
        },
        { what: 'the whole message in the transcript', timeoutMs: 60_000 },
      );
      const partial = seen.find((t) => t.includes('Streaming one') && !t.includes(STREAMED));
      assert.ok(partial, `no partial message was shown before the whole one: ${seen.join(' | ')}`);
      await page.getByText('Run succeeded').waitFor({ timeout: 30_000 });
    });
  });

  it('shows a policy violation in the create form and disables the submit', async () => {
    await w.api.resources('Policy').create({
      apiVersion: API_VERSION,
      kind: 'Policy',
      metadata: { name: 'default', namespace: 'gov' },
      spec: { allowedTemplates: ['ClusterSandboxTemplate/python'] },
    } as never);
    await withPage(
      async (page) => {
        await page.goto(`${w.url}/sandboxes/new`);
        await page.getByLabel('Name', { exact: true }).fill('not-allowed');
        await page
          .getByLabel('Template', { exact: true })
          .selectOption('ClusterSandboxTemplate/shell');
        const check = page.getByRole('region', { name: 'Policy check' });
        await check.getByText('template_not_allowed').waitFor();
        assert.equal(await page.getByRole('button', { name: 'Create sandbox' }).isDisabled(), true);
      },
      { namespace: 'gov' },
    );
  });
});
