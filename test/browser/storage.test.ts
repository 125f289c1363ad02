// Snapshots, forks and volumes in a real chromium against a real `paddock up`: Snapshot and Fork
// on a sandbox's page make what the API then lists; the Snapshots and Volumes pages list them
// with sizes and users, create and delete; axe finds nothing serious.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
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

/** Whether gVisor's runsc is on the PATH (memory snapshots need it). */
function hasRunsc(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, 'runsc')));
}

describe('snapshots, forks and volumes in the web UI, in chromium', {
  skip: chromiumSkipReason() || bwrapSkipReason(),
  timeout: 240_000,
}, () => {
  let w: BrowserWorld;

  before(async () => {
    w = await startBrowserWorld([{ text: 'unused' }]);
    await w.api.resources('Volume').create({
      apiVersion: API_VERSION,
      kind: 'Volume',
      metadata: { name: 'shared' },
      spec: {},
    });
    await w.api.sandboxes.create({
      apiVersion: API_VERSION,
      kind: 'Sandbox',
      metadata: { name: 'origin' },
      spec: {
        templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
        volumes: [{ name: 'shared', mountPath: '/shared' }],
      },
    });
    await w.api.sandboxes.waitFor('origin', (s) => s.status?.phase === 'Running');
    await w.api.sandboxes.exec('origin', { command: ['sh', '-c', 'echo kept > notes.txt'] });
  });
  after(async () => {
    await w?.close();
  });

  it('forks a sandbox from its page into copies that have its files', async () => {
    const { context, page } = await w.newPage();
    try {
      await page.goto(`${w.url}/sandboxes/origin`);
      await assertPageRendered(page, 'sandbox origin');
      await page.getByLabel('Copies').fill('2');
      await page.getByRole('button', { name: 'Fork', exact: true }).click();
      const made = page.getByRole('status').filter({ hasText: 'origin-' });
      await made.waitFor();
      const copies = await eventually(
        async () => {
          const items = (await w.api.sandboxes.list()).items.filter(
            (s) => s.spec.fromSnapshot !== undefined && s.status?.phase === 'Running',
          );
          return items.length === 2 ? items : undefined;
        },
        { what: 'two running copies', timeoutMs: 60_000 },
      );
      for (const copy of copies) {
        const name = copy.metadata.name ?? '';
        const read = await w.api.sandboxes.exec(name, { command: ['cat', 'notes.txt'] });
        assert.equal(read.stdout, 'kept\n', name);
      }
      await page.getByRole('button', { name: 'Snapshot', exact: true }).click();
      await eventually(
        async () =>
          (await w.api.resources('SandboxSnapshot').list()).items.filter(
            (s) => s.status?.phase === 'Ready',
          ).length === 2,
        { what: 'both snapshots ready' },
      );
    } finally {
      await context.close();
    }
  });

  it('lists snapshots and volumes, with sizes and the sandboxes mounting a volume', async () => {
    const { context, page } = await w.newPage();
    try {
      await page.goto(`${w.url}/snapshots`);
      await assertPageRendered(page, 'snapshots');
      const rows = page.getByRole('region', { name: 'Snapshots' }).locator('tbody tr');
      await eventually(async () => (await rows.count()) === 2, { what: 'two snapshot rows' });
      // Bubblewrap sandboxes hold no memory: the Memory column says none.
      assert.match(
        await rows.first().innerText(),
        /origin\s+Ready\s+[\d.]+ (B|KiB)\s+none\s+workspace/,
      );
      assert.deepEqual(await seriousA11yViolations(page), []);
      await screenshot(page, 'snapshots-desktop-light');

      await page.goto(`${w.url}/volumes`);
      await assertPageRendered(page, 'volumes');
      const shared = page.getByRole('row').filter({ hasText: 'shared' });
      await eventually(async () => /origin/.test(await shared.innerText()), {
        what: 'the volume lists its sandbox',
      });
      assert.match(await shared.innerText(), /Available\s+unbounded/);
      await page.getByLabel('Name', { exact: true }).fill('scratch');
      await page.getByRole('button', { name: 'Create volume' }).click();
      await page.getByRole('row').filter({ hasText: 'scratch' }).waitFor();
      // In use: refused, naming the sandboxes.
      await page.getByRole('button', { name: 'Delete volume shared' }).click();
      await page.getByRole('alert').filter({ hasText: 'in use' }).waitFor();
      assert.deepEqual(await seriousA11yViolations(page), []);
      await page.setViewportSize(PHONE);
      await screenshot(page, 'volumes-phone-light');
    } finally {
      await context.close();
    }
  });

  it('shows the memory image of a gVisor snapshot beside its size and contents', {
    skip: hasRunsc() ? false : 'runsc (gVisor) is not installed',
  }, async () => {
    await w.api.resources('SandboxTemplate').create({
      apiVersion: API_VERSION,
      kind: 'SandboxTemplate',
      metadata: { name: 'counter', namespace: 'default' },
      spec: {
        inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'shell' },
        isolation: 'gvisor',
        command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); sleep 1; done'],
      },
    });
    await w.api.sandboxes.create({
      apiVersion: API_VERSION,
      kind: 'Sandbox',
      metadata: { name: 'warm' },
      spec: { templateRef: { kind: 'SandboxTemplate', name: 'counter' } },
    });
    await w.api.sandboxes.waitFor('warm', (s) => s.status?.phase === 'Running');
    await w.api.resources('SandboxSnapshot').create({
      apiVersion: API_VERSION,
      kind: 'SandboxSnapshot',
      metadata: { name: 'warm-memory' },
      spec: { sandboxRef: { name: 'warm' } },
    });
    const snapshot = await eventually(
      async () => {
        const s = await w.api.resources('SandboxSnapshot').get('warm-memory');
        return s.status?.phase === 'Ready' ? s : undefined;
      },
      { what: 'the gVisor snapshot ready', timeoutMs: 60_000 },
    );
    const memoryBytes = snapshot.status?.memoryBytes;
    assert.ok(memoryBytes !== undefined && memoryBytes > 0, JSON.stringify(snapshot.status));
    const { context, page } = await w.newPage();
    try {
      await page.goto(`${w.url}/snapshots`);
      await assertPageRendered(page, 'snapshots');
      const row = page.getByRole('row').filter({ hasText: 'warm-memory' });
      await row.waitFor();
      const cells = row.getByRole('cell');
      assert.match(await cells.nth(4).innerText(), /^[\d.]+ (KiB|MiB|GiB)$/, 'the Memory column');
      assert.match(await cells.nth(5).innerText(), /workspace, memory/);
      assert.deepEqual(await seriousA11yViolations(page), []);
    } finally {
      await context.close();
    }
  });
});
