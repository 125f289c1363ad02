// The Usage page in a real chromium against a real `paddock up` whose runs called the scripted
// model through the gateway: the totals, each day's bar and its stack, the top spenders and the
// budget burn-down show exactly the API's report; axe finds nothing serious.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UsageReport } from '@paddock/api';
import { isTerminalRunPhase } from '@paddock/client';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import {
  assertPageRendered,
  type BrowserWorld,
  chromiumSkipReason,
  PHONE,
  screenshot,
  seriousA11yViolations,
  startBrowserWorld,
} from './browser.ts';

const API_VERSION = 'paddock.dev/v1alpha1';
const DAY_MS = 86_400_000;
const usd = (amount: number) => (amount < 1 ? `$${amount.toFixed(4)}` : `$${amount.toFixed(2)}`);

describe('the Usage page, in chromium', {
  skip: chromiumSkipReason() || bwrapSkipReason(),
  timeout: 240_000,
}, () => {
  let w: BrowserWorld;
  let turn = 0;

  before(async () => {
    w = await startBrowserWorld(() => {
      turn += 1;
      return {
        text: `answer ${turn}`,
        usage: { inputTokens: 40_000 + turn, outputTokens: 900 * turn },
      };
    });
    await w.api.resources('Policy').create({
      apiVersion: API_VERSION,
      kind: 'Policy',
      metadata: { name: 'default' },
      spec: { budgets: { maxUsdPerNamespacePerDay: 2 } },
    });
    for (const [name, model] of [
      ['sonnet', 'claude-sonnet-4-5'],
      ['haiku', 'claude-haiku-4-5'],
    ] as const) {
      await w.api.resources('Agent').create({
        apiVersion: API_VERSION,
        kind: 'Agent',
        metadata: { name },
        spec: { harness: { kind: 'builtin' }, provider: 'anthropic', model },
      });
    }
    for (const [agent, run] of [
      ['sonnet', 'spend-1'],
      ['haiku', 'spend-2'],
      ['sonnet', 'spend-3'],
    ] as const) {
      await w.api.runs.start({ agent, prompt: 'spend a little', name: run });
    }
    for (const run of ['spend-1', 'spend-2', 'spend-3']) {
      const phase = await eventually(
        async () => {
          const phase = (await w.api.resources('Run').get(run)).status?.phase;
          return isTerminalRunPhase(phase) ? phase : undefined;
        },
        { what: `run ${run} finished`, timeoutMs: 60_000 },
      );
      assert.equal(phase, 'Succeeded', run);
    }
  });
  after(async () => {
    await w?.close();
  });

  /** The report the page asks for by default: the last 7 UTC days, by model, every namespace. */
  async function expectedReport(groupBy: 'model' | 'agent'): Promise<UsageReport> {
    const tomorrow = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS;
    return w.api.usage({
      since: new Date(tomorrow - 7 * DAY_MS).toISOString(),
      until: new Date(tomorrow).toISOString(),
      groupBy,
    });
  }

  it('shows the report: totals, stacked bars per day, top spenders, budget burn-down', async () => {
    const { context, page } = await w.newPage();
    try {
      await page.goto(`${w.url}/usage`);
      await page.getByRole('heading', { level: 1, name: 'Usage and cost' }).waitFor();
      await assertPageRendered(page, 'usage');
      const report = await expectedReport('model');
      assert.ok(report.total.costUsd > 0, 'the runs cost something');
      assert.equal(report.total.calls, 3);

      const total = page.locator('[data-total-cost]');
      assert.equal(Number(await total.getAttribute('data-total-cost')), report.total.costUsd);
      assert.equal(await total.innerText(), usd(report.total.costUsd));

      const bars = page.locator('g.usage-bar');
      assert.equal(await bars.count(), 7);
      for (const [i, day] of report.days.entries()) {
        const bar = bars.nth(i);
        assert.equal(await bar.getAttribute('data-day'), day.day);
        assert.equal(Number(await bar.getAttribute('data-cost')), day.usage.costUsd);
        const stack = await bar
          .locator('rect')
          .evaluateAll((rects) =>
            rects.map((r) => [r.getAttribute('data-key'), Number(r.getAttribute('data-cost'))]),
          );
        assert.deepEqual(
          stack,
          (day.stack ?? [])
            .filter((s) => s.costUsd > 0)
            .map((s) => [s.key, s.costUsd])
            .sort(
              (a, b) =>
                (report.groups ?? []).findIndex((g) => g.key === a[0]) -
                (report.groups ?? []).findIndex((g) => g.key === b[0]),
            ),
          day.day,
        );
      }
      const today = bars.nth(6).locator('rect');
      assert.equal(await today.count(), 2, 'two models stacked today');
      const heights = await today.evaluateAll((rects) =>
        rects.map((r) => Number(r.getAttribute('height'))),
      );
      assert.ok(
        heights.every((h) => h > 1),
        `bar heights ${heights}`,
      );

      const rows = page.locator('table.usage-spenders tbody tr');
      assert.deepEqual(
        await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key'))),
        (report.groups ?? []).map((g) => g.key),
        'the top spender first',
      );
      const budget = report.budgets.find((b) => b.scope === 'namespace' && b.key === 'default');
      assert.ok(budget);
      const card = page.locator('[data-budget="namespace/default"]');
      assert.equal(Number(await card.getAttribute('data-spent')), budget.spentUsd);
      assert.match(
        await card.innerText(),
        new RegExp(`${usd(budget.spentUsd).replace('$', '\\$')} of \\$2\\.00`),
      );

      assert.deepEqual(await seriousA11yViolations(page), []);
      await screenshot(page, 'usage-desktop-light');
      await page.setViewportSize(PHONE);
      await screenshot(page, 'usage-phone-light');
    } finally {
      await context.close();
    }
  });

  it('splits by agent when asked', async () => {
    const { context, page } = await w.newPage({ theme: 'dark' });
    try {
      await page.goto(`${w.url}/usage`);
      await page.getByLabel('Split by').selectOption('agent');
      const report = await expectedReport('agent');
      await page.locator('table.usage-spenders tbody tr[data-key="default/haiku"]').waitFor();
      assert.deepEqual(
        await page
          .locator('table.usage-spenders tbody tr')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key'))),
        (report.groups ?? []).map((g) => g.key),
      );
      assert.deepEqual(await seriousA11yViolations(page), []);
      await screenshot(page, 'usage-desktop-dark');
    } finally {
      await context.close();
    }
  });
});
