// Test support for the browser suite: a real `paddock up` (auth required, the scripted LLM as
// its Anthropic upstream) and Debian's headless chromium driven by playwright-core.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import {
  eventually,
  type LlmScript,
  type PaddockProcess,
  type ScriptedLlm,
  startPaddockProcess,
  startScriptedLlm,
} from '@paddock/testkit';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** The system chromium (installed by scripts/setup.sh); never a downloaded browser. */
export const CHROMIUM = process.env.PADDOCK_CHROMIUM ?? '/usr/bin/chromium';

const root = fileURLToPath(new URL('../../', import.meta.url));
const serverMain = join(root, 'apps/server/src/main.ts');
const AXE_SOURCE = readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');
export const SCREENSHOTS = join(root, 'test/browser/screenshots');
const UI_INDEX = join(root, 'apps/web/dist/index.html');

/** What in-page callbacks use of the browser's globals (this project's types carry no DOM lib). */
export type PageGlobals = {
  location: { origin: string };
  sessionStorage: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
  };
  localStorage: { setItem(key: string, value: string): void };
};

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 740 } as const;
export type Theme = 'light' | 'dark';

/** Why browser tests cannot run here (for `describe(…, { skip })`), or false. */
export function chromiumSkipReason(): string | false {
  return existsSync(CHROMIUM)
    ? false
    : `chromium is not installed at ${CHROMIUM} (scripts/setup.sh installs it; PADDOCK_CHROMIUM overrides)`;
}

/** The suite tests the built UI: a missing build is a failure with the fix, not a skip. */
export function assertUiBuilt(): void {
  if (!existsSync(UI_INDEX)) {
    throw new Error(
      'the web UI is not built (apps/web/dist/index.html is missing): run ./scripts/setup.sh or npm run build',
    );
  }
}

export type BrowserWorld = {
  url: string;
  /** The preview listener's base URL. */
  previewOrigin: string;
  adminKey: string;
  /** The API as the admin. */
  api: PaddockClient;
  llm: ScriptedLlm;
  browser: Browser;
  server: PaddockProcess;
  /**
   * A fresh context (its own storage), signed in with `key` (the admin's by default) unless
   * `signedIn` is false.
   */
  newPage(options?: {
    viewport?: { width: number; height: number };
    theme?: Theme;
    namespace?: string;
    signedIn?: boolean;
    key?: string;
  }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
};

/** One server and one browser for a whole test file. */
export async function startBrowserWorld(script: LlmScript): Promise<BrowserWorld> {
  assertUiBuilt();
  const home = mkdtempSync(join(tmpdir(), 'paddock-browser-'));
  const adminKey = `pdk_${randomBytes(32).toString('base64url')}`;
  const llmKey = `sk-ant-browser-${randomBytes(8).toString('hex')}`;
  const llm = await startScriptedLlm({ script, requireKey: llmKey });
  const argv = [serverMain, '--addr', '127.0.0.1:0', '--home', home, '--auth', 'required'];
  // The UI asks for several lists at once; keep the per-principal limit out of the way.
  argv.push('--rate-limit', '1000', '--rate-burst', '2000');
  const server = await startPaddockProcess(argv, {
    env: {
      ...process.env,
      PADDOCK_BOOTSTRAP_ADMIN_KEY: adminKey,
      PADDOCK_ANTHROPIC_BASE_URL: llm.url,
      ANTHROPIC_API_KEY: llmKey,
    },
  });
  const previewOrigin = await eventually(
    () => {
      const origin = /previews on (http:\/\/\S+)/.exec(server.stderr())?.[1];
      assert.ok(origin, `not in:\n${server.stderr()}`);
      return origin;
    },
    { what: 'the preview origin in the log', timeoutMs: 5_000 },
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const url = server.url;
  const api = createClient({ baseUrl: url, token: adminKey });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    url,
    previewOrigin,
    adminKey,
    api,
    llm,
    browser,
    server,
    newPage: async ({
      viewport = DESKTOP,
      theme = 'light',
      namespace,
      signedIn = true,
      key = adminKey,
    } = {}) => {
      const context = await browser.newContext({ viewport, colorScheme: theme });
      // Storage of the UI's origin only: previews are another origin and must never see the key.
      const seed = { origin: new URL(url).origin, key: signedIn ? key : '', theme, namespace };
      await context.addInitScript((s) => {
        const g = globalThis as unknown as PageGlobals;
        if (g.location.origin !== s.origin) return;
        if (s.key) g.sessionStorage.setItem('paddock.token', s.key);
        g.localStorage.setItem('paddock.theme', s.theme);
        if (s.namespace) g.localStorage.setItem('paddock.namespace', s.namespace);
      }, seed);
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      return { context, page };
    },
    close: async () => {
      await browser.close();
      try {
        for (const sandbox of (await api.sandboxes.list()).items) {
          await api.sandboxes.delete(sandbox.metadata.name ?? '').catch(() => {});
        }
        await eventually(async () => (await api.sandboxes.list()).items.length === 0, {
          what: 'every sandbox deleted',
        });
      } finally {
        await server.stop();
        await llm.close();
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

/** Fails when the page shows an error state, a blank main area, or an unknown page. */
export async function assertPageRendered(page: Page, what: string): Promise<void> {
  await page.locator('h1').first().waitFor({ timeout: 15_000 });
  // The first queries must settle: a page still loading after 10 s has failed to render.
  await page
    .locator('.state[role="status"]')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => {
      throw new Error(`${what} is still loading after 10 s`);
    });
  const errors = await page.locator('.state.error').allInnerTexts();
  if (errors.length > 0) throw new Error(`${what} shows an error: ${errors.join(' | ')}`);
  const text = (await page.locator('main').first().innerText()).trim();
  if (text.length < 3) throw new Error(`${what} is blank`);
  if (/page not found/i.test(await page.locator('h1').first().innerText())) {
    throw new Error(`${what} is the not-found page`);
  }
}

/** Screenshot into test/browser/screenshots/{name}.png (whole page). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

type AxeViolation = {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
};

/** axe-core on the page as it is; the serious and critical violations, described. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  // Evaluated rather than added as a <script>: the UI's CSP (script-src 'self') would block it.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } })
      .axe;
    return (await axe.run()).violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes
          .slice(0, 5)
          .map((n) => JSON.stringify(n.target))
          .join(', ')}`,
    );
}
