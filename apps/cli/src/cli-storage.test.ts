// The real `paddock snapshot`, `volume` and `sandbox fork`, as child processes, against a real
// `paddock up`: the REST routes of the new kinds, their controllers and the local runtime.
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
const box = `fk-${randomBytes(3).toString('hex')}`;

describe('paddock snapshot, volume and sandbox fork against a real paddock up', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cli-storage-'));
  let server: PaddockProcess;
  let paddock: PaddockClient;
  const cli = (args: string[]) => runCli(['--server', server.url, ...args]);
  const sh = async (name: string, script: string) =>
    (await paddock.sandboxes.exec(name, { command: ['sh', '-c', script] })).stdout;

  before(async () => {
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]);
    paddock = createClient({ baseUrl: server.url });
    const made = await cli(['volume', 'create', `${box}-data`, '--size', '16Mi']);
    assert.equal(made.code, 0, made.stderr);
    const created = await cli([
      'sandbox',
      'create',
      box,
      '--template',
      'shell',
      '--cluster',
      '--volume',
      `${box}-data:/data`,
    ]);
    assert.equal(created.code, 0, created.stderr);
    await sh(box, 'echo original > /workspace/notes.txt && echo shared > /data/shared.txt');
  });

  after(async () => {
    try {
      await deleteAllSandboxes(paddock);
      // A sized volume stays mounted on the host while it exists: deleted, it is unmounted.
      await paddock.resources('Volume').delete(`${box}-data`);
      await eventually(async () => (await paddock.resources('Volume').list()).items.length === 0, {
        what: 'the volume deleted',
      });
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('forks a sandbox into copies with its files that diverge', async () => {
    const forked = await cli(['sandbox', 'fork', box, '--count', '2', '--snapshot', `${box}-s`]);
    assert.equal(forked.code, 0, forked.stderr);
    assert.match(
      forked.stdout,
      new RegExp(`sandbox/${box}-s-1 created\\nsandbox/${box}-s-2 created`),
    );
    const [one, two] = [`${box}-s-1`, `${box}-s-2`];
    assert.equal(await sh(one, 'cat /workspace/notes.txt /data/shared.txt'), 'original\nshared\n');
    await sh(one, 'echo changed > /workspace/notes.txt');
    assert.equal(await sh(two, 'cat /workspace/notes.txt'), 'original\n');
    assert.equal(await sh(box, 'cat /workspace/notes.txt'), 'original\n');
  });

  it('lists snapshots and volumes as tables and as JSON', async () => {
    const table = await cli(['snapshot', 'list']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+SANDBOX\s+PHASE\s+SIZE\s+CONTENTS\s+AGE\n/);
    assert.match(table.stdout, new RegExp(`${box}-s\\s+${box}\\s+Ready\\s+\\S+\\s+workspace\\s`));
    const json = JSON.parse((await cli(['volume', 'list', '-o', 'json'])).stdout);
    const volume = json.items.find(
      (v: { metadata: { name: string } }) => v.metadata.name === `${box}-data`,
    );
    assert.equal(volume.status.phase, 'Available');
    assert.deepEqual(volume.status.mountedBy, [box, `${box}-s-1`, `${box}-s-2`]);
  });

  it('creates a sandbox from a snapshot, and refuses to delete a volume in use', async () => {
    const from = await cli(['sandbox', 'create', `${box}-r`, '--from-snapshot', `${box}-s`]);
    assert.equal(from.code, 0, from.stderr);
    assert.equal(await sh(`${box}-r`, 'cat /workspace/notes.txt'), 'original\n');
    const refused = await cli(['volume', 'delete', `${box}-data`]);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      new RegExp(`in use: mounted by sandboxes ${box}, ${box}-s-1, ${box}-s-2`),
    );
    const removed = await cli(['snapshot', 'delete', `${box}-s`]);
    assert.equal(removed.code, 0, removed.stderr);
  });
});
