import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { Sandbox, SandboxNotFoundError } from 'e2b';
import { bootstrapAdminKey } from '../bootstrap-key.ts';
import { startTestServer } from '../test-server.ts';
import { type E2bWorld, startE2bWorld } from './e2b-test-support.ts';

const QUICKSTART = new URL('../../../../examples/e2b/quickstart.mjs', import.meta.url).pathname;

describe('E2B code against Paddock, unchanged', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  let w: E2bWorld;
  before(async () => {
    w = await startE2bWorld();
  });
  after(() => w.close());

  it('runs the quickstart example with nothing but E2B_API_URL, E2B_SANDBOX_URL and E2B_API_KEY', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [QUICKSTART], {
      env: {
        PATH: process.env.PATH ?? '',
        E2B_API_URL: `${w.s.url}/e2b`,
        E2B_SANDBOX_URL: `${w.s.url}/e2b`,
        E2B_API_KEY: w.alice,
      },
      timeout: 120_000,
    });
    assert.deepEqual(stdout.trim().split('\n'), [
      'hello from user in /home/user',
      'python3 says 42',
      'notes/: todo.txt',
      'read back: written through the SDK',
      'done in the background',
      'CommandExitError: exit code 3',
    ]);
    const left = await Sandbox.list({
      ...w.opts(w.alice),
      query: { metadata: { example: 'quickstart' } },
    }).nextItems();
    assert.deepEqual(left, [], 'the example killed its sandbox');
  });

  it('kills a sandbox at its timeout: a command streaming in it ends with an error, never a hang', async () => {
    const sbx = await Sandbox.create('base', { ...w.opts(w.alice), timeoutMs: 3_000 });
    const started = Date.now();
    const outcome = await sbx.commands.run('echo started; sleep 120', { timeoutMs: 0 }).then(
      () => 'finished',
      (error: unknown) => error,
    );
    assert.ok(outcome instanceof Error, `the stream ended with an error, not ${String(outcome)}`);
    assert.ok(Date.now() - started < 60_000, 'well before the command would have ended');
    await eventually(
      () =>
        Sandbox.getInfo(sbx.sandboxId, w.opts(w.alice)).then(
          () => undefined,
          (error: unknown) => (error instanceof SandboxNotFoundError ? true : undefined),
        ),
      { timeoutMs: 30_000, what: 'the sandbox deleted at its timeout' },
    );
  });
});

describe('Sandbox.connect after the server restarts', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-e2b-restart-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  it('reattaches with the same access token: files, background commands and new commands', async () => {
    const first = await startTestServer({ auth: 'required', home });
    const admin = (await bootstrapAdminKey(first.engine.apiKeys, undefined, new Date()))?.key ?? '';
    const opts = (url: string) => ({
      apiUrl: `${url}/e2b`,
      sandboxUrl: `${url}/e2b`,
      apiKey: admin,
    });
    const sbx = await Sandbox.create('base', { ...opts(first.url), timeoutMs: 600_000 });
    await sbx.files.write('/home/user/kept.txt', 'still here');
    const background = await sbx.commands.run('sleep 2; echo survived', { background: true });
    // A restart: the server and engine stop; the sandbox keeps running for the next to adopt.
    await first.server.close();
    await first.engine.close();

    const second = await startTestServer({ auth: 'required', home });
    try {
      const again = await Sandbox.connect(sbx.sandboxId, opts(second.url));
      assert.equal(await again.files.read('/home/user/kept.txt'), 'still here');
      const result = await again.commands.connect(background.pid);
      assert.equal((await result.wait()).stdout.trim(), 'survived');
      assert.equal((await again.commands.run('echo after')).stdout, 'after\n');
      assert.equal(await Sandbox.kill(sbx.sandboxId, opts(second.url)), true);
    } finally {
      await second.close();
    }
  });
});
