import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { API } from '../test-server.ts';
import { type AuthWorld, startAuthWorld, uniqueName } from '../ws/test-users.ts';
import { createWebTemplate, previewUrlOf } from './preview-test-app.ts';
import { exchangePreviewUrl, previewRequest } from './preview-test-client.ts';

type Status = { phase?: string; reason?: string; pauseMechanism?: string };

describe('pause, resume and idle wake, on the real bubblewrap runtime', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: AuthWorld;
  const path = (name: string, sub = '') => `/api/v1/namespaces/default/sandboxes/${name}${sub}`;
  const statusOf = async (name: string): Promise<Status> => {
    const res = await w.s.call(path(name), { token: w.alice });
    return ((await res.json()) as { status?: Status }).status ?? {};
  };
  const untilPhase = (name: string, phase: string) =>
    eventually(async () => ((await statusOf(name)).phase === phase ? true : undefined), {
      timeoutMs: 30_000,
      what: `sandbox ${name} ${phase}`,
    });
  const exec = (name: string, body: Record<string, unknown>, token = w.alice) =>
    w.s.call(path(name, '/exec'), { method: 'POST', token, body: JSON.stringify(body) });

  before(async () => {
    w = await startAuthWorld();
    await createWebTemplate(w);
    const sleepy = await w.s.call('/api/v1/namespaces/default/sandboxtemplates', {
      method: 'POST',
      token: w.admin,
      body: JSON.stringify({
        apiVersion: API,
        kind: 'SandboxTemplate',
        metadata: { name: 'sleepy' },
        spec: { inheritsFrom: { kind: 'SandboxTemplate', name: 'web' }, idleTimeout: '3s' },
      }),
    });
    assert.equal(sleepy.status, 201, await sleepy.text());
  });
  after(async () => {
    await w.s.close();
  });

  it('pauses and resumes through the API; exec is refused while paused unless it asks for autoResume', async () => {
    const name = uniqueName('pz');
    await w.createSandbox(name, w.alice, { kind: 'ClusterSandboxTemplate', name: 'shell' });
    const counter = await exec(name, {
      command: ['sh', '-c', 'echo 41 > /tmp/n'],
    });
    assert.equal(counter.status, 200);

    const paused = await w.s.call(path(name, '/pause'), { method: 'POST', token: w.alice });
    assert.equal(paused.status, 200, await paused.clone().text());
    await untilPhase(name, 'Paused');
    const status = await statusOf(name);
    assert.equal(status.reason, 'PausedByUser');
    assert.ok(status.pauseMechanism, 'the mechanism is in the status');

    const refused = await exec(name, { command: ['true'] });
    assert.equal(refused.status, 409);
    const envelope = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(envelope.error.code, 'sandbox_paused');
    assert.match(envelope.error.message, /paused/);
    const bobs = await exec(name, { command: ['true'], autoResume: true }, w.bob);
    assert.equal(bobs.status, 404, 'autoResume needs a caller who may use (and manage) it');

    const resumed = await exec(name, {
      command: ['sh', '-c', 'echo $(( $(cat /tmp/n) + 1 ))'],
      autoResume: true,
    });
    assert.equal(resumed.status, 200, await resumed.clone().text());
    assert.equal(((await resumed.json()) as { stdout: string }).stdout, '42\n', '/tmp was kept');
    assert.equal((await statusOf(name)).phase, 'Running');

    await w.s.call(path(name, '/pause'), { method: 'POST', token: w.alice });
    await untilPhase(name, 'Paused');
    const again = await w.s.call(path(name, '/resume'), { method: 'POST', token: w.alice });
    assert.equal(again.status, 200);
    await untilPhase(name, 'Running');
  });

  it('pauses an idle sandbox after a warning, and a preview request wakes it and is held until it answers', async () => {
    const name = uniqueName('idle');
    await w.createSandbox(name, w.alice, { kind: 'SandboxTemplate', name: 'sleepy' });
    const opened = await exchangePreviewUrl(await previewUrlOf(w, name, w.alice));
    await eventually(
      async () =>
        (await previewRequest(opened.base, { headers: { cookie: opened.cookie } })).status === 200,
      { timeoutMs: 30_000, what: 'the app answering' },
    );
    await untilPhase(name, 'Paused');
    assert.equal((await statusOf(name)).reason, 'IdlePaused');
    // The event is recorded after the status write that made the sandbox Paused.
    const reasons = await eventually(
      async () => {
        const events = await w.s.call(path(name, '/events'), { token: w.alice });
        const { items } = (await events.json()) as {
          items: Array<{ reason: string; type: string }>;
        };
        return items.some((e) => e.reason === 'IdlePaused') ? items : undefined;
      },
      { timeoutMs: 10_000, what: 'the IdlePaused event' },
    );
    const warning = reasons.findIndex((e) => e.reason === 'IdleSoon' && e.type === 'Warning');
    const pause = reasons.findIndex((e) => e.reason === 'IdlePaused');
    assert.ok(warning !== -1 && warning < pause, JSON.stringify(reasons.map((e) => e.reason)));

    const page = await previewRequest(`${opened.base}index.html`, {
      headers: { cookie: opened.cookie },
    });
    assert.equal(page.status, 200, page.body);
    assert.equal(page.body, '<h1>hello from the sandbox</h1>\n');
    assert.equal((await statusOf(name)).phase, 'Running', 'woken by the request');
  });
});
