// The real `paddock sandbox shell`, on a real pseudo-terminal, against a real `paddock up`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type IPty, spawn } from '@lydell/node-pty';
import { createClient, type PaddockClient } from '@paddock/client';
import { bwrapSkipReason, type PaddockProcess, startPaddockProcess } from '@paddock/testkit';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
// Unique per run: cgroups are named by namespace and sandbox on the host.
const box = `term-${randomBytes(3).toString('hex')}`;

/** Polls until `pattern` is in the output; fails naming what was seen. */
async function waitFor(output: () => string, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(output())) {
    if (Date.now() > deadline)
      assert.fail(`${pattern} not in the terminal: ${JSON.stringify(output().slice(-400))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('paddock sandbox shell on a pseudo-terminal', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cli-shell-'));
  let server: PaddockProcess;
  let paddock: PaddockClient;
  const ptys: IPty[] = [];

  before(async () => {
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]);
    paddock = createClient({ baseUrl: server.url });
    await paddock.sandboxes.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: box },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    });
    await paddock.sandboxes.waitFor(box, (s) => s.status?.phase === 'Running', {
      timeoutMs: 60_000,
    });
  });

  after(async () => {
    for (const pty of ptys) pty.kill();
    await paddock.sandboxes.delete(box).catch(() => {});
    for (let i = 0; i < 200 && (await paddock.sandboxes.list()).items.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('types into the shell, follows resizes, passes Ctrl-C, exits with the shell code', async () => {
    const pty = spawn(process.execPath, [main, '--server', server.url, 'sandbox', 'shell', box], {
      cols: 80,
      rows: 24,
      env: { ...process.env, NO_COLOR: '1' },
    });
    ptys.push(pty);
    let text = '';
    pty.onData((data) => {
      text += data;
    });
    const exited = new Promise<number>((resolve) =>
      pty.onExit(({ exitCode }) => resolve(exitCode)),
    );
    const output = () => text;

    pty.write('echo hi-$((6*7))\r');
    await waitFor(output, /^hi-42\r?$/m);

    pty.write('stty size\r');
    await waitFor(output, /^24 80\r?$/m);
    pty.resize(132, 41);
    // The resize reaches the sandbox asynchronously (SIGWINCH → CLI → server): ask until it shows.
    const deadline = Date.now() + 20_000;
    while (!/^41 132\r?$/m.test(text)) {
      assert.ok(Date.now() < deadline, `no resize in ${JSON.stringify(text.slice(-300))}`);
      pty.write('stty size\r');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    pty.write('echo sl""eeping; sleep 30; echo sl""ept\r');
    await waitFor(output, /^sleeping\r?$/m);
    pty.write('\x03');
    pty.write('echo aw""ake\r');
    await waitFor(output, /^awake\r?$/m);
    assert.doesNotMatch(text, /^slept\r?$/m);

    pty.write('exit 3\r');
    assert.equal(await exited, 3);
  });

  it('refuses a missing sandbox with the not-found exit code', async () => {
    const pty = spawn(
      process.execPath,
      [main, '--server', server.url, 'sandbox', 'shell', 'nope'],
      {
        cols: 80,
        rows: 24,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    ptys.push(pty);
    let text = '';
    pty.onData((data) => {
      text += data;
    });
    const code = await new Promise<number>((resolve) =>
      pty.onExit(({ exitCode }) => resolve(exitCode)),
    );
    assert.equal(code, 3, text);
    assert.match(text, /not_found/);
  });
});
