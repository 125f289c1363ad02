// A name freed by one user and taken by another brings nothing of the first along: bob's sandbox,
// volume or snapshot named like alice's deleted one starts empty, and her transcript is not his.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { uniqueName } from '../ws/test-users.ts';
import {
  type AuthzWorld,
  commandAgent,
  type JsonValue,
  manifest,
  nsPath,
  type Role,
  startAuthzWorld,
  waitForPhase,
  waitForRunEnd,
} from './authz-fixtures.ts';

const SHELL = { kind: 'ClusterSandboxTemplate', name: 'shell' };
const SECRET = 'alice-left-this';

describe("a name another user freed brings none of that user's data", {
  skip: bwrapSkipReason(),
  timeout: 300_000,
}, () => {
  let fx: AuthzWorld;
  before(async () => {
    fx = await startAuthzWorld();
  });
  after(async () => {
    await fx?.close();
  });

  const exec = async (role: Role, sandbox: string, script: string) =>
    fx.json<JsonValue>(role, `${nsPath('sandboxes')}/${sandbox}/exec`, 200, {
      method: 'POST',
      body: { command: ['sh', '-c', script] },
    });
  const remove = async (plural: string, name: string) => {
    await fx.json('owner', `${nsPath(plural)}/${name}`, 200, { method: 'DELETE' });
    await eventually(
      async () => {
        const res = await fx.call('admin', `${nsPath(plural)}/${name}`);
        await res.body?.cancel();
        return res.status === 404 ? true : undefined;
      },
      { timeoutMs: 60_000, what: `${plural}/${name} gone` },
    );
  };
  const sandbox = async (role: Role, name: string, spec: object = {}) => {
    await fx.json(role, nsPath('sandboxes'), 201, {
      method: 'POST',
      body: manifest('Sandbox', name, { templateRef: SHELL, ...spec }),
    });
    await waitForPhase(fx.call, name, 'Running');
  };

  it("gives bob an empty workspace and volume under the names of alice's deleted ones", async () => {
    const box = uniqueName('reused');
    const volume = uniqueName('reused-vol');
    await fx.json('owner', nsPath('volumes'), 201, {
      method: 'POST',
      body: manifest('Volume', volume, {}),
    });
    await sandbox('owner', box, { volumes: [{ name: volume, mountPath: '/data' }] });
    await exec('owner', box, `echo ${SECRET} > /workspace/left; echo ${SECRET} > /data/left`);
    const wrote = await exec('owner', box, 'cat /workspace/left /data/left');
    assert.equal(wrote.stdout, `${SECRET}\n${SECRET}\n`, 'alice wrote her files');
    await remove('sandboxes', box);
    await remove('volumes', volume);

    await fx.json('other', nsPath('volumes'), 201, {
      method: 'POST',
      body: manifest('Volume', volume, {}),
    });
    await sandbox('other', box, { volumes: [{ name: volume, mountPath: '/data' }] });
    const seen = await exec(
      'other',
      box,
      'cat /workspace/left /data/left 2>&1; ls -A /workspace /data',
    );
    assert.ok(!String(seen.stdout).includes(SECRET), `bob sees her data: ${seen.stdout}`);
  });

  it("gives bob's run under the name of alice's deleted run none of her transcript", async () => {
    const run = uniqueName('reused-run');
    const body = (script: string) =>
      manifest('Run', run, {
        agent: commandAgent(script),
        prompt: 'x',
        sandbox: { templateRef: SHELL },
      });
    await fx.json('owner', nsPath('runs'), 201, { method: 'POST', body: body(`echo ${SECRET}`) });
    await waitForRunEnd(fx.call, run);
    const hers = await fx.call('owner', `${nsPath('runs')}/${run}/events`);
    assert.match(await hers.text(), new RegExp(SECRET), 'her transcript holds her output');
    await remove('runs', run);
    await fx.json('other', nsPath('runs'), 201, { method: 'POST', body: body('echo bob') });
    await waitForRunEnd(fx.call, run);
    const his = await fx.call('other', `${nsPath('runs')}/${run}/events`);
    const text = await his.text();
    assert.equal(his.status, 200, text);
    assert.doesNotMatch(text, new RegExp(SECRET));
  });
});
