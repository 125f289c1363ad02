// References inside bodies: a Run names a sandbox and an agent, an Agent names credentials. Each
// is checked with the caller's rights and with those of the owner the object acts as, so nobody
// reaches alice's workspace, agent or credential by naming them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason } from '@paddock/testkit';
import { uniqueName } from '../ws/test-users.ts';
import {
  type AuthzWorld,
  commandAgent,
  type JsonValue,
  manifest,
  nsPath,
  type Role,
  SECRET_PATH,
  startAuthzWorld,
  USER_ID,
  waitForPhase,
  waitForRunEnd,
} from './authz-fixtures.ts';

/** What bob's agent would do in alice's workspace: read her secret and leave a mark. */
const PWN = `cat ${SECRET_PATH}; echo pwned > /workspace/x`;
const SHELL = { kind: 'ClusterSandboxTemplate', name: 'shell' };
const OWNER_ANNOTATION = 'paddock.dev/owner';

describe('references inside request bodies', { skip: bwrapSkipReason(), timeout: 300_000 }, () => {
  let fx: AuthzWorld;
  before(async () => {
    fx = await startAuthzWorld();
  });
  after(async () => {
    await fx?.close();
  });

  const create = async (role: Role, plural: string, body: unknown) => {
    const res = await fx.call(role, nsPath(plural), { method: 'POST', body });
    const text = await res.text();
    const json: JsonValue = text.startsWith('{') ? JSON.parse(text) : undefined;
    return { status: res.status, code: json?.error?.code as string | undefined, text };
  };
  const assertRefused = (
    got: { status: number; code: string | undefined; text: string },
    status: number,
    code: string,
  ) => assert.deepEqual({ status: got.status, code: got.code }, { status, code }, got.text);
  const assertNotStored = async (plural: string, name: string) => {
    const res = await fx.call('admin', `${nsPath(plural)}/${name}`);
    await res.body?.cancel();
    assert.equal(res.status, 404, `${plural}/${name} was stored`);
  };
  /** The names in a sandbox's directory, read as admin. */
  const filesIn = async (sandbox: string, dir = '/workspace') => {
    const list = await fx.json<JsonValue>(
      'admin',
      `${nsPath('sandboxes')}/${sandbox}/files/list?path=${dir}`,
      200,
    );
    return (list.items as JsonValue[]).map((f) => f.name as string);
  };
  const runInBox = (name: string, agent: object, metadata: object = {}) =>
    manifest('Run', name, { ...agent, prompt: 'x', sandbox: { name: fx.box } }, metadata);

  it("refuses bob's run into alice's sandbox (404), stores nothing and leaves her workspace alone", async () => {
    const agent = uniqueName('bob-pwn');
    const made = await create('other', 'agents', manifest('Agent', agent, commandAgent(PWN)));
    assert.equal(made.status, 201, made.text);
    const run = uniqueName('bob-pwn');
    const got = await create('other', 'runs', runInBox(run, { agentRef: { name: agent } }));
    assertRefused(got, 404, 'not_found');
    await assertNotStored('runs', run);
    // Had a run started, its harness would have written the mark by now.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.ok(!(await filesIn(fx.box)).includes('x'), "bob wrote into alice's workspace");
  });

  it("refuses bob's run naming alice's agent (404)", async () => {
    const run = uniqueName('bob-agent');
    const got = await create(
      'other',
      'runs',
      manifest('Run', run, {
        agentRef: { name: fx.agent },
        prompt: 'x',
        sandbox: { templateRef: SHELL },
      }),
    );
    assertRefused(got, 404, 'not_found');
    await assertNotStored('runs', run);
  });

  it("refuses bob's agent naming alice's credential (404)", async () => {
    const agent = uniqueName('bob-cred');
    const got = await create(
      'other',
      'agents',
      manifest('Agent', agent, {
        ...commandAgent('env'),
        credentials: [{ name: fx.credential, as: 'env', env: 'STOLEN' }],
      }),
    );
    assertRefused(got, 404, 'not_found');
    await assertNotStored('agents', agent);
  });

  it("refuses bob moving his own run into alice's sandbox (PUT and apply)", async (t) => {
    const run = uniqueName('bob-move');
    const made = await create(
      'other',
      'runs',
      manifest('Run', run, {
        agent: commandAgent('true'),
        prompt: 'x',
        sandbox: { templateRef: SHELL },
      }),
    );
    assert.equal(made.status, 201, made.text);
    const path = `${nsPath('runs')}/${run}`;
    const { status: _status, ...stored } = await fx.json<JsonValue>('other', path, 200);
    const { resourceVersion: _rv, ...metadata } = stored.metadata;
    const moved = { ...stored, metadata, spec: { ...stored.spec, sandbox: { name: fx.box } } };
    for (const [method, contentType] of [
      ['PUT', 'application/json'],
      ['PATCH', 'application/apply-patch+json'],
    ] as const) {
      const res = await fx.call('other', path, { method, body: moved, contentType });
      const body = (await res.json()) as JsonValue;
      const seen = `${res.status} ${body.error?.code}`;
      t.diagnostic(`${method}: ${seen}`);
      assert.ok(['400 validation_failed', '404 not_found'].includes(seen), `${method}: ${seen}`);
    }
    const after = await fx.json<JsonValue>('admin', path, 200);
    assert.deepEqual(after.spec.sandbox, { templateRef: SHELL });
  });

  it('lets carol, whom alice shares her sandbox with, run in it (201)', async () => {
    const run = uniqueName('carol-run');
    const got = await create('shared', 'runs', runInBox(run, { agent: commandAgent('echo hi') }));
    assert.equal(got.status, 201, got.text);
    const ended = await waitForRunEnd(fx.call, run);
    assert.equal(ended.status.phase, 'Succeeded', JSON.stringify(ended.status));
  });

  it("refuses an admin's own run into alice's sandbox (403) and allows it on alice's behalf (201)", async () => {
    const own = uniqueName('admin-run');
    const got = await create('admin', 'runs', runInBox(own, { agent: commandAgent('true') }));
    assertRefused(got, 403, 'forbidden');
    await assertNotStored('runs', own);
    const behalf = uniqueName('admin-run');
    const allowed = await create(
      'admin',
      'runs',
      runInBox(
        behalf,
        { agent: commandAgent('true') },
        {
          annotations: { [OWNER_ANNOTATION]: USER_ID.owner },
        },
      ),
    );
    assert.equal(allowed.status, 201, allowed.text);
  });

  it("does not let bob's run adopt alice's sandbox that has its sandbox's name", async (t) => {
    const run = uniqueName('clash');
    const taken = `run-${run}`;
    const made = await create(
      'owner',
      'sandboxes',
      manifest('Sandbox', taken, { templateRef: SHELL }),
    );
    assert.equal(made.status, 201, made.text);
    await waitForPhase(fx.call, taken, 'Running');
    const got = await create(
      'other',
      'runs',
      manifest('Run', run, { agent: commandAgent(PWN), prompt: 'x' }),
    );
    t.diagnostic(`bob's run: ${got.status} ${got.code ?? ''}`);
    if (got.status === 201) {
      const ended = await waitForRunEnd(fx.call, run);
      assert.equal(ended.status.phase, 'Failed', JSON.stringify(ended.status));
      assert.notEqual(ended.status.sandboxName, taken, 'the run was assigned her sandbox');
    } else {
      assert.ok([403, 404, 409].includes(got.status), got.text);
    }
    const sandbox = await fx.json<JsonValue>('admin', `${nsPath('sandboxes')}/${taken}`, 200);
    assert.equal(sandbox.metadata.annotations?.[OWNER_ANNOTATION], USER_ID.owner);
    assert.equal(sandbox.metadata.ownerReferences, undefined, 'adopted by a run');
    assert.equal(sandbox.status?.phase, 'Running');
    assert.ok(!(await filesIn(taken)).includes('x'), "bob's run wrote into alice's sandbox");
  });
});
