// "Sign in with SSO" end to end in chromium: a real `paddock up` with OIDC (its keys found through
// the issuer's discovery document) and the testkit's stand-in provider. The browser goes to the
// provider and back with a code, exchanges it (PKCE) at the token endpoint, and lands signed in;
// a tampered `state` and a denied consent end on the sign-in page with a message.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type PaddockProcess,
  type StandInOidc,
  startPaddockProcess,
  startStandInOidc,
} from '@paddock/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  assertUiBuilt,
  CHROMIUM,
  chromiumSkipReason,
  DESKTOP,
  type PageGlobals,
  PHONE,
  screenshot,
  seriousA11yViolations,
  type Theme,
} from './browser.ts';

const CLIENT_ID = 'paddock-web';
const serverMain = fileURLToPath(new URL('../../apps/server/src/main.ts', import.meta.url));

describe('sign in with SSO (OIDC code flow + PKCE), in chromium', {
  skip: chromiumSkipReason(),
  timeout: 120_000,
}, () => {
  let idp: StandInOidc;
  let server: PaddockProcess;
  let browser: Browser;
  let home = '';

  before(async () => {
    assertUiBuilt();
    idp = await startStandInOidc({
      clientId: CLIENT_ID,
      user: { sub: 'alice', email: 'alice@example.test', name: 'Alice Example' },
    });
    home = mkdtempSync(join(tmpdir(), 'paddock-browser-oidc-'));
    server = await startPaddockProcess([
      serverMain,
      ...['--addr', '127.0.0.1:0', '--home', home, '--auth', 'required'],
      ...['--oidc-issuer', idp.issuer, '--oidc-audience', CLIENT_ID],
      ...['--oidc-client-id', CLIENT_ID],
    ]);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await idp?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  async function withPage(
    run: (page: Page) => Promise<void>,
    {
      viewport = DESKTOP,
      theme = 'light',
    }: { viewport?: { width: number; height: number }; theme?: Theme } = {},
  ) {
    const context = await browser.newContext({ viewport, colorScheme: theme });
    context.setDefaultTimeout(15_000);
    await context.addInitScript((t) => {
      (globalThis as unknown as PageGlobals).localStorage.setItem('paddock.theme', t);
    }, theme);
    try {
      await run(await context.newPage());
    } finally {
      await context.close();
    }
  }

  const storedToken = (page: Page) =>
    page.evaluate(() =>
      (globalThis as unknown as PageGlobals).sessionStorage.getItem('paddock.token'),
    );
  const currentUrl = (page: Page) => new URL(page.url());

  it('goes to the provider and back, and lands signed in as the test user', async () => {
    await withPage(async (page) => {
      await page.goto(`${server.url}/sandboxes`);
      await page.getByRole('button', { name: 'Sign in with SSO' }).click();
      await page.getByRole('banner').getByText('alice').waitFor();
      await page.getByRole('heading', { level: 1, name: 'Sandboxes' }).waitFor();
      // Back where the sign-in started, with no code or state left in the address bar.
      assert.equal(currentUrl(page).pathname, '/sandboxes');
      assert.equal(currentUrl(page).search, '');
      const token = await storedToken(page);
      assert.match(token ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/);
      const me = await fetch(`${server.url}/api/v1/users/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.deepEqual(await me.json(), { id: 'alice', role: 'user', authMethod: 'oidc' });
      const sent = idp.authorizations().at(-1);
      assert.equal(sent?.redirectUri, `${server.url}/auth/callback`);
      assert.equal(sent?.codeChallengeMethod, 'S256');
      assert.equal(sent?.scope, 'openid profile email');
      assert.ok(sent?.state && sent.nonce && sent.state !== sent.nonce);
    });
  });

  it('refuses a callback whose state was tampered with, and says so', async () => {
    await withPage(async (page) => {
      // The provider's answer is altered on its way back: same code, another state.
      await page.route(`${idp.issuer}/authorize?**`, async (route) => {
        const answer = await route.fetch({ maxRedirects: 0 });
        const back = new URL(answer.headers().location ?? '');
        back.searchParams.set('state', 'forged-state');
        await route.fulfill({ status: 302, headers: { location: back.href } });
      });
      await page.goto(`${server.url}/`);
      await page.getByRole('button', { name: 'Sign in with SSO' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: /state mismatch/ })
        .waitFor();
      assert.equal(currentUrl(page).search, '');
      assert.equal(await storedToken(page), null);
      // Another attempt, untampered, still works from here.
      await page.unrouteAll();
      await page.getByRole('button', { name: 'Sign in with SSO' }).click();
      await page.getByRole('banner').getByText('alice').waitFor();
    });
  });

  it('shows a denied consent on the sign-in page', async () => {
    idp.denyNext();
    await withPage(async (page) => {
      await page.goto(`${server.url}/`);
      await page.getByRole('button', { name: 'Sign in with SSO' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: /denied/ })
        .waitFor();
      await page.getByRole('button', { name: 'Sign in with SSO' }).waitFor();
      assert.equal(currentUrl(page).pathname, '/');
      assert.equal(await storedToken(page), null);
    });
  });

  it('renders the sign-in page accessibly at desktop and phone width, light and dark', async () => {
    for (const [name, viewport, theme] of [
      ['desktop-light', DESKTOP, 'light'],
      ['phone-dark', PHONE, 'dark'],
    ] as const) {
      await withPage(
        async (page) => {
          await page.goto(`${server.url}/`);
          await page.getByRole('button', { name: 'Sign in with SSO' }).waitFor();
          await screenshot(page, `sign-in-sso-${name}`);
          assert.deepEqual(await seriousA11yViolations(page), [], name);
        },
        { viewport, theme },
      );
    }
  });
});
