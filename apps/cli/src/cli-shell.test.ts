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
import {
  bwrapSkipReason,
  eventually,
  type PaddockProcess,
  startPaddockProcess,
} from '@paddock/testkit';
import { deleteAllSandboxes } from './test-cleanup.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
// Unique per run: cgroups are named by namespace and sandbox on the host.
const box = `term-${randomBytes(3).toString('hex')}`;

/** Resolves once `pattern` is in the output; a timeout names what was seen. */
async function waitFor(output: () => string, pattern: RegExp): Promise<void> {
  await eventually(
    () => {
      assert.match(output(), pattern, `not in ${JSON.stringify(output().slice(-400))}`);
      return true;
    },
    { what: `${pattern} in the terminal`, timeoutMs: 20_000 },
  );
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
    try {
      await deleteAllSandboxes(paddock);
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
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
    await eventually(
      () => {
        if (/^41 132\r?$/m.test(text)) return true;
        pty.write('stty size\r');
        assert.fail(`no resize in ${JSON.stringify(text.slice(-300))}`);
      },
      { what: 'the new size from stty', timeoutMs: 20_000, intervalMs: 200 },
    );

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
