// The real `paddock sandbox ps` and `sandbox kill`, as child processes, against a real `paddock up`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import {
  bwrapSkipReason,
  eventually,
  type PaddockProcess,
  startPaddockProcess,
} from '@paddock/testkit';
import { deleteAllSandboxes } from './test-cleanup.ts';
import { runCli } from './test-cli.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
// Unique per run: cgroups are named by namespace and sandbox on the host.
const box = `ps-${randomBytes(3).toString('hex')}`;

describe('paddock sandbox ps and kill against a real paddock up', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cli-ps-'));
  let server: PaddockProcess;
  let paddock: PaddockClient;
  const cli = (args: string[]) => runCli(['--server', server.url, ...args]);

  before(async () => {
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]);
    paddock = createClient({ baseUrl: server.url });
    await paddock.sandboxes.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: box },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    });
    await paddock.sandboxes.waitFor(box, (s) => s.status?.phase === 'Running');
  });
  after(async () => {
    if (paddock !== undefined) await deleteAllSandboxes(paddock);
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('lists background processes, kills one with a signal, and names what is wrong', async () => {
    await paddock.sandboxes.processes.start(box, { command: ['sleep', '1903'], processId: 'nap' });
    await paddock.sandboxes.processes.start(box, { command: ['true'], processId: 'quick' });
    const table = await cli(['sandbox', 'ps', box]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID +STATUS +AGE +COMMAND\n/);
    assert.match(table.stdout, /^nap +Running +\d+s +sleep 1903$/m);
    const names = await cli(['sandbox', 'ps', box, '-o', 'name']);
    assert.match(names.stdout, /^process\/nap$/m);

    const killed = await cli(['sandbox', 'kill', box, 'nap', '--signal', 'SIGTERM']);
    assert.equal(killed.code, 0, killed.stderr);
    assert.match(killed.stdout, /^process\/nap /);
    // A signal other than SIGKILL is answered once sent: the end is recorded a moment later.
    await eventually(
      async () => (await paddock.sandboxes.processes.get(box, 'nap')).exit?.signal === 'SIGTERM',
      { what: 'nap ended by SIGTERM' },
    );
    assert.match((await cli(['sandbox', 'ps', box])).stdout, /^nap +SIGTERM /m);

    const unknown = await cli(['sandbox', 'kill', box, 'nope']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /nope/);
    const usage = await cli(['sandbox', 'kill', box]);
    assert.notEqual(usage.code, 0);
    assert.match(usage.stderr, /PROCESS_ID/);
  });
});
