// What a sandbox names besides its template — a snapshot to start from, volumes, credentials in its
// overrides or in its template's mounts — used only with its owner's rights, through REST: bob
// (and carol, whom alice shares only her sandbox with) cannot reach alice's by naming them. Also:
// the policy check refuses what a create refuses and tells nobody whether her objects exist, and
// list watches of every owned kind carry none of hers to bob.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, encodeTar, eventually } from '@paddock/testkit';
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
} from './authz-fixtures.ts';
import { openSse, type SseStream } from './authz-sse-fixture.ts';

const SHELL = { kind: 'ClusterSandboxTemplate', name: 'shell' };
const LOGIN_DIR = '/home/user/.login';
const ALICE_TOKEN = 'alice-login-token';

type Answer = { status: number; code: string | undefined; text: string };

describe("a sandbox reaches none of another user's snapshots, volumes or credentials", {
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

  const send = async (role: Role, path: string, method: string, body: unknown) => {
    const res = await fx.call(role, path, { method, body });
    const text = await res.text();
    const json: JsonValue = text.startsWith('{') ? JSON.parse(text) : undefined;
    return { status: res.status, code: json?.error?.code as string | undefined, text };
  };
  const isRefusedAt = (got: Answer, field: string) =>
    got.status === 404 && got.code === 'not_found' && got.text.includes(field);
  const isStored = async (plural: string, name: string) => {
    const res = await fx.call('admin', `${nsPath(plural)}/${name}`);
    await res.body?.cancel();
    return res.status !== 404;
  };

  /** Sandbox specs naming one of alice's objects, and the field each is refused at. */
  const naming = (): Array<[string, object]> => [
    ['spec.fromSnapshot.name', { fromSnapshot: { name: fx.snapshot } }],
    ['spec.volumes[0].name', { volumes: [{ name: fx.volume, mountPath: '/data' }] }],
    [
      'spec.overrides.credentials[0].name',
      { overrides: { credentials: [{ name: fx.credential, as: 'env', env: 'STOLEN' }] } },
    ],
    [
      'spec.overrides.mounts[0].credential',
      { overrides: { mounts: [{ name: 'm', mountPath: '/creds', credential: fx.credential }] } },
    ],
  ];

  it('refuses bob and carol a new sandbox naming her snapshot, volume or credential (404); stores none', async () => {
    const wrong: string[] = [];
    for (const role of ['other', 'shared'] as const) {
      for (const [field, spec] of naming()) {
        const name = uniqueName(`steal-${role}`);
        const body = manifest('Sandbox', name, { templateRef: SHELL, ...spec });
        const got = await send(role, nsPath('sandboxes'), 'POST', body);
        if (!isRefusedAt(got, field)) wrong.push(`${role} ${field}: ${got.status} ${got.text}`);
        if (await isStored('sandboxes', name)) wrong.push(`${role} ${field}: ${name} stored`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('refuses bob moving his own sandbox onto her volume or credential (PUT and apply); it stays as it was', async () => {
    const name = uniqueName('bob-own');
    const made = await send(
      'other',
      nsPath('sandboxes'),
      'POST',
      manifest('Sandbox', name, { templateRef: SHELL, desiredState: 'Stopped' }),
    );
    assert.equal(made.status, 201, made.text);
    const path = `${nsPath('sandboxes')}/${name}`;
    const { status: _status, ...stored } = await fx.json<JsonValue>('other', path, 200);
    const wrong: string[] = [];
    for (const [field, spec] of naming().filter(([f]) => !f.includes('fromSnapshot'))) {
      const changed = { ...stored, spec: { ...stored.spec, ...spec } };
      for (const [method, contentType] of [
        ['PUT', 'application/json'],
        ['PATCH', 'application/apply-patch+json'],
      ] as const) {
        const res = await fx.call('other', path, { method, body: changed, contentType });
        const got = { status: res.status, text: await res.text(), code: undefined as unknown };
        got.code = got.text.startsWith('{') ? JSON.parse(got.text).error?.code : undefined;
        if (!isRefusedAt(got as Answer, field)) {
          wrong.push(`${method} ${field}: ${got.status} ${got.text}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
    const after = await fx.json<JsonValue>('admin', path, 200);
    assert.equal(after.metadata.generation, stored.metadata.generation);
    assert.deepEqual(after.spec, stored.spec);
  });

  it("binds a template's credential mount from the sandbox owner's credential only", async () => {
    // An admin's template mounts the credential `login`; alice stores one of that name. Her
    // sandbox gets her files; bob's, from the same template, must not get hers.
    const login = uniqueName('login');
    const template = uniqueName('with-login');
    await fx.json('admin', nsPath('sandboxtemplates'), 201, {
      method: 'POST',
      body: manifest('SandboxTemplate', template, {
        inheritsFrom: SHELL,
        mounts: [{ name: 'login', mountPath: LOGIN_DIR, credential: login }],
      }),
    });
    const tar = encodeTar([
      { path: 'login', type: 'directory' },
      { path: 'login/token', type: 'file', data: new TextEncoder().encode(ALICE_TOKEN) },
    ]);
    await fx.json('owner', nsPath('credentials'), 201, {
      method: 'POST',
      body: { name: login, type: 'files', valueBase64: Buffer.from(tar).toString('base64') },
    });
    const boxes = { owner: uniqueName('login-alice'), other: uniqueName('login-bob') };
    for (const role of ['owner', 'other'] as const) {
      await fx.json(role, nsPath('sandboxes'), 201, {
        method: 'POST',
        body: manifest('Sandbox', boxes[role], {
          templateRef: { kind: 'SandboxTemplate', name: template },
        }),
      });
    }
    await waitForPhase(fx.call, boxes.owner, 'Running');
    const read = await fx.call(
      'owner',
      `${nsPath('sandboxes')}/${boxes.owner}/files?path=${LOGIN_DIR}/token`,
    );
    assert.equal(await read.text(), ALICE_TOKEN, "alice's own sandbox has her login");
    // Bob's fails at its mounts step as if there were no such credential, and never runs.
    const ended = await eventually(
      async () => {
        const got = await fx.json<JsonValue>('admin', `${nsPath('sandboxes')}/${boxes.other}`, 200);
        return ['Running', 'Error'].includes(got.status?.phase) ? got : undefined;
      },
      { timeoutMs: 60_000, what: `sandbox ${boxes.other} to settle` },
    );
    assert.equal(ended.status.phase, 'Error', 'bob got a sandbox with her credential mounted');
    assert.equal(ended.status.provisionFailure?.step, 'mounts');
    assert.match(
      ended.status.provisionFailure?.output ?? '',
      new RegExp(`credential default/${login} not found`),
    );
  });

  it('answers the policy check on a sandbox naming her snapshot, volume or credential as a create: admitted for her, refused (404) for bob and carol', async () => {
    const check = (role: Role, spec: object) =>
      send(role, '/api/v1/namespaces/default/policy/check', 'POST', {
        ...manifest('Sandbox', 'probe', { templateRef: SHELL, ...spec }),
      });
    const wrong: string[] = [];
    for (const [field, spec] of naming()) {
      // Hers get a verdict: admitted, or (credential overrides, which `shell` does not allow)
      // refused by governance only.
      const hers = await check('owner', spec);
      const verdict: JsonValue = JSON.parse(hers.text);
      const isVerdict =
        verdict.admitted === true ||
        (field.startsWith('spec.overrides.') &&
          verdict.violations?.every((v: JsonValue) => v.code === 'override_not_allowed'));
      if (hers.status !== 200 || !isVerdict)
        wrong.push(`owner ${field}: ${hers.status} ${hers.text}`);
      for (const role of ['other', 'shared'] as const) {
        const got = await check(role, spec);
        if (!isRefusedAt(got, field)) wrong.push(`${role} ${field}: ${got.status} ${got.text}`);
        const created = await send(role, nsPath('sandboxes'), 'POST', {
          ...manifest('Sandbox', uniqueName('probe'), { templateRef: SHELL, ...spec }),
        });
        if (created.code !== got.code || created.status !== got.status)
          wrong.push(`${role} ${field}: check ${got.status} but create ${created.status}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("answers bob's policy check alike for her snapshot, volume or credential and for a name nobody uses", async () => {
    const check = async (spec: object) => {
      const got = await send('other', '/api/v1/namespaces/default/policy/check', 'POST', {
        ...manifest('Sandbox', 'probe', { templateRef: SHELL, ...spec }),
      });
      const body: JsonValue = JSON.parse(got.text);
      delete body.error?.requestId;
      return `${got.status} ${JSON.stringify(body)}`
        .replaceAll(fx.snapshot, 'X')
        .replaceAll(fx.volume, 'X')
        .replaceAll(fx.credential, 'X');
    };
    const absent = 'nobody-has-this';
    const nobodys = (spec: object) =>
      JSON.parse(
        JSON.stringify(spec)
          .replaceAll(fx.snapshot, absent)
          .replaceAll(fx.volume, absent)
          .replaceAll(fx.credential, absent),
      );
    for (const [, hers] of naming()) {
      assert.equal(await check(hers), (await check(nobodys(hers))).replaceAll(absent, 'X'));
    }
  });

  it("carries none of her agents, runs, volumes or snapshots on bob's list watches", async () => {
    const plurals = ['agents', 'runs', 'volumes', 'sandboxsnapshots'] as const;
    const streams = new Map<string, SseStream>();
    try {
      for (const plural of plurals) {
        for (const path of [`${nsPath(plural)}?watch=true`, `/api/v1/${plural}?watch=true`]) {
          const stream = await openSse(fx, 'other', path);
          assert.equal(stream.status, 200, `${path}: ${stream.code}`);
          streams.set(path, stream);
        }
      }
      // Alice makes a new one of each (a run in her sandbox), then bob makes his own; his
      // arrival on each ordered stream means hers, earlier, has been dealt with.
      const hers = uniqueName('alice-watched');
      const bobs = uniqueName('bob-watched');
      const bodies = (name: string, box: string) => ({
        agents: manifest('Agent', name, commandAgent('true')),
        runs: manifest('Run', name, {
          agent: commandAgent('true'),
          prompt: 'x',
          sandbox: { name: box },
        }),
        volumes: manifest('Volume', name, {}),
        sandboxsnapshots: manifest('SandboxSnapshot', name, { sandboxRef: { name: box } }),
      });
      const bobBox = uniqueName('bob-box');
      await fx.json('other', nsPath('sandboxes'), 201, {
        method: 'POST',
        body: manifest('Sandbox', bobBox, { templateRef: SHELL }),
      });
      await waitForPhase(fx.call, bobBox, 'Running');
      for (const plural of plurals) {
        await fx.json('owner', nsPath(plural), 201, {
          method: 'POST',
          body: bodies(hers, fx.box)[plural],
        });
      }
      for (const plural of plurals) {
        await fx.json('other', nsPath(plural), 201, {
          method: 'POST',
          body: bodies(bobs, bobBox)[plural],
        });
      }
      const names = new Set([fx.agent, fx.run, fx.volume, fx.snapshot, hers]);
      const leaked: string[] = [];
      for (const [path, stream] of streams) {
        await stream.waitFor((e) => e.object?.metadata?.name === bobs, `bob's own on ${path}`);
        for (const event of stream.events) {
          const name = event.object?.metadata?.name;
          if (names.has(name)) leaked.push(`${path}: ${event.type} ${name}`);
        }
      }
      assert.deepEqual(leaked, [], "alice's objects on bob's watches");
    } finally {
      for (const stream of streams.values()) stream.close();
    }
  });
});
