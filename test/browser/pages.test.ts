// Every page of the web UI in a real chromium against a real `paddock up`: sign-in, navigation,
// screenshots at desktop and phone width (light and dark), and axe-core on each page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTerminalRunPhase } from '@paddock/client';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import type { Page } from 'playwright-core';
import {
  assertPageRendered,
  type BrowserWorld,
  chromiumSkipReason,
  DESKTOP,
  type PageGlobals,
  PHONE,
  screenshot,
  seriousA11yViolations,
  startBrowserWorld,
  type Theme,
} from './browser.ts';

const API_VERSION = 'paddock.dev/v1alpha1';

type Visit = { name: string; path: string; tab?: string; hasDark?: boolean };

const PAGES: readonly Visit[] = [
  { name: 'overview', path: '/', hasDark: true },
  { name: 'sandboxes', path: '/sandboxes' },
  { name: 'sandbox-new', path: '/sandboxes/new' },
  ...['Terminal', 'Files', 'Ports', 'Logs'].map((tab) => ({
    name: `sandbox-detail-${tab.toLowerCase()}`,
    path: '/sandboxes/tour',
    tab,
  })),
  { name: 'templates', path: '/templates' },
  { name: 'template-detail', path: '/templates/cluster/shell' },
  { name: 'agents', path: '/agents' },
  { name: 'agent-detail', path: '/agents/helper' },
  { name: 'runs', path: '/runs' },
  { name: 'run-detail', path: '/runs/tour-run', hasDark: true },
  { name: 'governance', path: '/governance' },
  { name: 'audit', path: '/audit' },
  { name: 'settings', path: '/settings' },
];

describe('the web UI, page by page, in chromium', {
  skip: chromiumSkipReason() || bwrapSkipReason(),
  timeout: 240_000,
}, () => {
  let w: BrowserWorld;

  before(async () => {
    w = await startBrowserWorld([{ text: 'The answer is **42**, as `expected`.' }]);
    await w.api.resources('Agent').create({
      apiVersion: API_VERSION,
      kind: 'Agent',
      metadata: { name: 'helper' },
      spec: { harness: { kind: 'builtin' }, provider: 'anthropic', model: 'claude-sonnet-4-5' },
    });
    await w.api.sandboxes.create({
      apiVersion: API_VERSION,
      kind: 'Sandbox',
      metadata: { name: 'tour' },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    });
    await w.api.runs.start({ agent: 'helper', prompt: 'what is the answer?', name: 'tour-run' });
    await w.api.sandboxes.waitFor('tour', (s) => s.status?.phase === 'Running');
    // The run pages are judged on a finished run with its answer: it must get there.
    const phase = await eventually(
      async () => {
        const phase = (await w.api.resources('Run').get('tour-run')).status?.phase;
        return isTerminalRunPhase(phase) ? phase : undefined;
      },
      { what: 'the tour run finished', timeoutMs: 60_000 },
    );
    assert.equal(phase, 'Succeeded', 'the tour run finished');
  });
  after(async () => {
    await w?.close();
  });

  /** Opens a page (and a tab of it), checks it rendered, and screenshots it. */
  async function visit(page: Page, v: Visit, shot: string) {
    await page.goto(`${w.url}${v.path}`);
    if (v.tab !== undefined) {
      await page.getByRole('tab', { name: v.tab, exact: true }).click();
      await page.getByRole('tabpanel').first().waitFor();
    }
    await assertPageRendered(page, `${v.name} (${shot})`);
    await screenshot(page, `${v.name}-${shot}`);
  }

  it('signs in with an API key and refuses a wrong one', async () => {
    const { context, page } = await w.newPage({ signedIn: false });
    try {
      await page.goto(w.url);
      const key = page.getByLabel('API key or OIDC token');
      await screenshot(page, 'sign-in-desktop-light');
      assert.deepEqual(await seriousA11yViolations(page), []);
      await key.fill(`pdk_${'x'.repeat(43)}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();
      await page.setViewportSize(PHONE);
      await screenshot(page, 'sign-in-phone-light');
      await page.setViewportSize(DESKTOP);
      await key.fill(w.adminKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      const stored = await page.evaluate(() =>
        (globalThis as unknown as PageGlobals).sessionStorage.getItem('paddock.token'),
      );
      assert.equal(stored, w.adminKey, 'kept for this tab');
    } finally {
      await context.close();
    }
  });

  it('navigates to every section from the main navigation', async () => {
    const { context, page } = await w.newPage();
    try {
      await page.goto(w.url);
      const nav = page.getByRole('navigation', { name: 'Main' });
      for (const section of ['Sandboxes', 'Templates', 'Agents', 'Runs', 'Governance', 'Audit']) {
        await nav.getByRole('link', { name: section, exact: true }).click();
        await page.getByRole('heading', { level: 1, name: section }).waitFor();
        assert.equal(
          await nav.getByRole('link', { name: section, exact: true }).getAttribute('aria-current'),
          'page',
        );
      }
      await nav.getByRole('link', { name: 'Settings', exact: true }).click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      assert.match(new URL(page.url()).pathname, /^\/settings$/);
    } finally {
      await context.close();
    }
  });

  it('renders every page at desktop and phone width without an error, in light and dark', async () => {
    const problems: string[] = [];
    for (const [viewport, width] of [
      [DESKTOP, 'desktop'],
      [PHONE, 'phone'],
    ] as const) {
      for (const theme of ['light', 'dark'] as Theme[]) {
        const { context, page } = await w.newPage({ viewport, theme });
        try {
          for (const v of PAGES) {
            if (theme === 'dark' && v.hasDark !== true) continue;
            await visit(page, v, `${width}-${theme}`).catch((error: Error) =>
              problems.push(error.message.split('\n')[0] ?? ''),
            );
          }
        } finally {
          await context.close();
        }
      }
    }
    assert.equal(problems.length, 0, `pages failed:\n${problems.join('\n')}`);
  });

  it('has no serious or critical accessibility violations (axe-core, desktop)', async () => {
    const found: string[] = [];
    for (const theme of ['light', 'dark'] as Theme[]) {
      const { context, page } = await w.newPage({ theme });
      try {
        for (const v of PAGES) {
          if (theme === 'dark' && v.hasDark !== true) continue;
          // A page that did not render is a finding too: axe on a broken page proves nothing.
          const failed = await visit(page, v, `desktop-${theme}`).then(
            () => undefined,
            (error: Error) => error.message.split('\n')[0] ?? 'did not render',
          );
          if (failed !== undefined) {
            found.push(`${v.name} (${theme}): ${failed}`);
            continue;
          }
          for (const violation of await seriousA11yViolations(page)) {
            found.push(`${v.name} (${theme}): ${violation}`);
          }
        }
      } finally {
        await context.close();
      }
    }
    assert.equal(found.length, 0, `axe found:\n${found.join('\n')}`);
  });
});
