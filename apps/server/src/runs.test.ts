// Runs end to end: a real server, a real sandbox, the built-in harness inside it, the gateway in
// front of a scripted Anthropic-compatible model. The provider key must never reach the sandbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  bwrapSkipReason,
  eventually,
  type RecordedRequest,
  type ScriptedLlm,
  type ScriptedTurn,
  startScriptedLlm,
} from '@paddock/testkit';
import { finishedRun, lastToolResult, type RunJson, runTranscript } from './run-test-support.ts';
import { API, startTestServer, type TestServer } from './test-server.ts';

const PROVIDER_KEY = 'sk-ant-real-provider-key-that-must-stay-on-the-host';

describe('runs', { skip: bwrapSkipReason(), timeout: 180_000 }, () => {
  let llm: ScriptedLlm;
  let server: TestServer;
  let turns: Array<(request: RecordedRequest) => ScriptedTurn> = [];

  before(async () => {
    llm = await startScriptedLlm({
      requireKey: PROVIDER_KEY,
      script: (request) => {
        const next = turns.shift();
        return next ? next(request) : { error: { status: 500, message: 'script exhausted' } };
      },
    });
    server = await startTestServer(
      { 'anthropic-base-url': llm.url },
      { ANTHROPIC_API_KEY: PROVIDER_KEY },
    );
  });

  after(async () => {
    await server?.close();
    await llm?.close();
  });

  const createRun = async (
    name: string,
    agent: Record<string, unknown>,
    prompt: string,
    namespace = 'default',
  ) => {
    const res = await server.call(`/api/v1/namespaces/${namespace}/runs`, {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name },
        spec: { agent, prompt },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
  };

  const finished = (name: string, namespace = 'default') => finishedRun(server, name, namespace);

  const transcript = (name: string, namespace = 'default') =>
    runTranscript(server, name, namespace);

  it('writes a file, runs a test command, reads its output and finishes; the key stays on the host', async () => {
    turns = [
      () => ({
        toolCalls: [
          { name: 'write_file', input: { path: 'add.sh', content: 'echo $((2 + 3))\n' } },
        ],
      }),
      () => ({
        toolCalls: [
          {
            name: 'bash',
            input: {
              command:
                'test "$(sh add.sh)" = 5 && echo TESTS-PASS; env; cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr "\\0" " "; grep -rl "real-provider-key" /workspace /tmp /home /etc /run 2>/dev/null; echo END',
            },
          },
        ],
      }),
      (request) => {
        const result = lastToolResult(request);
        return {
          text: result.includes('TESTS-PASS') ? 'All tests pass.' : `unexpected: ${result}`,
        };
      },
    ];
    await createRun(
      'add',
      { harness: { kind: 'builtin' }, provider: 'anthropic', model: 'claude-sonnet-4-5' },
      'make add.sh print 5 and test it',
    );
    const run = await finished('add');
    const events = await transcript('add');
    assert.equal(run.status.phase, 'Succeeded', JSON.stringify(events.slice(-5)));
    assert.equal(run.status.result.text, 'All tests pass.');
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
      'numbered from 1 without gaps',
    );
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'run.started');
    // The harness's last event (the gateway records its last call concurrently: either order).
    assert.equal(types.filter((t) => t !== 'llm.call').at(-1), 'run.finished');
    assert.equal(types.filter((t) => t === 'tool.call').length, 2);
    assert.equal(types.filter((t) => t === 'llm.call').length, 3, 'the gateway recorded each call');
    const bash = events.find((e) => e.type === 'tool.result' && e.name === 'bash');
    const output = String(bash?.output ?? '');
    assert.match(output, /TESTS-PASS/);
    assert.match(output, /END/);
    assert.ok(!output.includes(PROVIDER_KEY), 'the provider key is nowhere in env, argv or files');
    assert.ok(output.includes('pgt_'), 'the sandbox holds a run token instead');
    // Upstream saw the real key on every call, and never the run token.
    assert.equal(llm.requests.length, 3);
    for (const request of llm.requests) {
      assert.equal(request.headers['x-api-key'], PROVIDER_KEY);
      assert.ok(!JSON.stringify(request.headers).includes('pgt_'));
    }
    assert.ok(run.status.usage.inputTokens > 0);
    assert.equal(run.status.usage.toolCalls, 2);
    // The file is in the sandbox's workspace.
    const sandbox = run.status.sandboxName;
    const file = await server.call(
      `/api/v1/namespaces/default/sandboxes/${sandbox}/files?path=/workspace/add.sh`,
    );
    assert.equal(await file.text(), 'echo $((2 + 3))\n');
  });

  it('runs a plain command as a harness, its output mapped onto the transcript', async () => {
    await createRun(
      'plain',
      {
        harness: {
          kind: 'command',
          command: ['sh', '-c', 'echo "working on: $PADDOCK_PROMPT"; echo made > made.txt'],
        },
      },
      'the prompt',
    );
    const run = await finished('plain');
    const events = await transcript('plain');
    assert.equal(run.status.phase, 'Succeeded', JSON.stringify(events));
    assert.equal(events[0]?.type, 'run.started');
    assert.equal(events.at(-1)?.type, 'run.finished');
    assert.match(JSON.stringify(events), /working on: the prompt/);
  });

  it("clones the agent's repos into the workspace before the harness starts", async () => {
    const git = 'git -c user.email=a@example.com -c user.name=a';
    const template = await server.call('/api/v1/namespaces/default/sandboxtemplates', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'SandboxTemplate',
        metadata: { name: 'with-origin' },
        spec: {
          inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'agent' },
          init: [
            {
              name: 'origin',
              command: [
                'sh',
                '-c',
                `git init -q --bare /tmp/origin.git && git clone -q /tmp/origin.git /tmp/w 2>/dev/null && cd /tmp/w && echo from-the-repo > README && ${git} add README && ${git} commit -qm init && git push -q origin HEAD`,
              ],
            },
          ],
        },
      }),
    });
    assert.equal(template.status, 201, await template.clone().text());
    const sandbox = await server.call('/api/v1/namespaces/default/sandboxes', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Sandbox',
        metadata: { name: 'has-origin' },
        spec: { templateRef: { name: 'with-origin' } },
      }),
    });
    assert.equal(sandbox.status, 201, await sandbox.clone().text());
    const res = await server.call('/api/v1/namespaces/default/runs', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name: 'cloned' },
        spec: {
          agent: {
            harness: { kind: 'command', command: ['cat', 'src/README'] },
            repos: [{ url: '/tmp/origin.git', path: 'src' }],
          },
          prompt: 'read the repo',
          sandbox: { name: 'has-origin' },
        },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const run = await finished('cloned');
    const events = await transcript('cloned');
    assert.equal(run.status.phase, 'Succeeded', `${run.status.message} ${JSON.stringify(events)}`);
    assert.match(JSON.stringify(events), /from-the-repo/);
  });

  it('runs again under the name of a deleted run once the sandbox of the one before is gone', async () => {
    const { store } = server.engine;
    const sleeper = { harness: { kind: 'command', command: ['sleep', '60'] } };
    await createRun('again', sleeper, 'first');
    const assigned = await eventually(
      async () => {
        const res = await server.call('/api/v1/namespaces/default/runs/again');
        const name = ((await res.json()) as RunJson).status?.sandboxName;
        return name === undefined ? undefined : name;
      },
      { what: 'the first run has its sandbox', timeoutMs: 60_000 },
    );
    // The first run's sandbox is held in its deletion (a finalizer of the test's) while the
    // second run comes.
    const key = { namespace: 'default', name: assigned };
    const box = await store.get('Sandbox', key);
    const hold = 'test.paddock.dev/hold';
    await store.update({
      ...box,
      metadata: { ...box.metadata, finalizers: [...(box.metadata.finalizers ?? []), hold] },
    });
    assert.equal(
      (await server.call('/api/v1/namespaces/default/runs/again', { method: 'DELETE' })).status,
      200,
    );
    await eventually(
      async () => (await server.call('/api/v1/namespaces/default/runs/again')).status === 404,
      { what: 'the first run gone', timeoutMs: 60_000 },
    );
    assert.ok((await store.get('Sandbox', key)).metadata.deletionTimestamp, 'its sandbox is going');
    await createRun(
      'again',
      { harness: { kind: 'command', command: ['echo', 'second'] } },
      'second',
    );
    // The second run's first pass (its finalizer) is over: it waits, it has not failed.
    await eventually(
      async () =>
        (
          (await (await server.call('/api/v1/namespaces/default/runs/again')).json()) as RunJson
        ).metadata?.finalizers?.includes('paddock.dev/run') === true,
      { what: 'the second run reconciled' },
    );
    await server.engine.runs.idle();
    const waiting = (await (
      await server.call('/api/v1/namespaces/default/runs/again')
    ).json()) as RunJson;
    assert.notEqual(waiting.status?.phase, 'Failed', waiting.status?.message);
    const held = await store.get('Sandbox', key);
    await store.update({
      ...held,
      metadata: {
        ...held.metadata,
        finalizers: (held.metadata.finalizers ?? []).filter((f) => f !== hold),
      },
    });
    const run = await finished('again');
    assert.equal(run.status.phase, 'Succeeded', run.status.message);
  });

  it('refuses a run whose agent does not exist; the reconciler fails one written past admission', async () => {
    const orphan = {
      apiVersion: API,
      kind: 'Run',
      metadata: { name: 'orphan', namespace: 'default' },
      spec: { agentRef: { name: 'nobody' }, prompt: 'hello' },
    } as const;
    const res = await server.call('/api/v1/namespaces/default/runs', {
      method: 'POST',
      body: JSON.stringify(orphan),
    });
    assert.equal(res.status, 404, await res.clone().text());
    const refusal = (await res.json()) as { error: { code: string; details: { field: string } } };
    assert.equal(refusal.error.code, 'not_found');
    assert.equal(refusal.error.details.field, 'spec.agentRef.name');
    assert.equal((await server.call('/api/v1/namespaces/default/runs/orphan')).status, 404);
    // Straight into the store, as a Kubernetes client could: the reconciler fails it.
    await server.engine.store.create({ ...orphan, spec: { ...orphan.spec, mode: 'task' } });
    const run = await finished('orphan');
    assert.equal(run.status.phase, 'Failed');
    assert.match(run.status.message, /agent nobody not found/);
    for (const path of ['messages', 'end']) {
      const refused = await server.call(`/api/v1/namespaces/default/runs/orphan/${path}`, {
        method: 'POST',
        ...(path === 'messages' ? { body: JSON.stringify({ text: 'hi' }) } : {}),
      });
      assert.equal(refused.status, 409, path);
      assert.equal(((await refused.json()) as RunJson).error.code, 'invalid_transition');
    }
    const cancel = await server.call('/api/v1/namespaces/default/runs/orphan/cancel', {
      method: 'POST',
    });
    assert.equal(cancel.status, 409, 'a finished run cannot be cancelled');
  });

  it('stops at maxTurns with BudgetExceeded', async () => {
    llm.requests.length = 0;
    const loop = () => ({ toolCalls: [{ name: 'bash', input: { command: 'echo again' } }] });
    turns = [loop, loop, loop, loop, loop];
    await createRun(
      'turns',
      {
        harness: { kind: 'builtin' },
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        budget: { maxTurns: 2 },
      },
      'loop forever',
    );
    const run = await finished('turns');
    assert.equal(run.status.phase, 'BudgetExceeded');
    assert.match(run.status.message, /maxTurns/);
    assert.equal(llm.requests.length, 2);
  });

  it('cancels a run mid-stream; the harness records its end', async () => {
    llm.requests.length = 0;
    turns = [() => ({ text: 'thinking very slowly…', isHanging: true })];
    await createRun(
      'slow',
      { harness: { kind: 'builtin' }, provider: 'anthropic', model: 'claude-sonnet-4-5' },
      'hang',
    );
    await eventually(() => llm.requests.length > 0, { timeoutMs: 60_000, what: 'the model call' });
    const res = await server.call('/api/v1/namespaces/default/runs/slow/cancel', {
      method: 'POST',
    });
    assert.equal(res.status, 200);
    const run = await finished('slow');
    assert.equal(run.status.phase, 'Cancelled');
    // The harness's own last event; the gateway may record the call it was serving (aborted)
    // just after it.
    const events = await eventually(
      async () => {
        const all = (await transcript('slow')).filter((e) => e.type !== 'llm.call');
        return all.at(-1)?.type === 'run.finished' ? all : undefined;
      },
      { timeoutMs: 30_000, what: 'the harness to record its end' },
    );
    assert.equal(events.at(-1)?.outcome, 'cancelled');
  });

  it('streams a live run and ends right after everything is written, its last model call too', async () => {
    llm.requests.length = 0;
    turns = [() => ({ text: 'thinking very slowly…', isHanging: true })];
    await createRun(
      'live',
      { harness: { kind: 'builtin' }, provider: 'anthropic', model: 'claude-sonnet-4-5' },
      'hang',
    );
    const res = await server.call('/api/v1/namespaces/default/runs/live/events?watch=true');
    assert.equal(res.status, 200);
    const streamed = res.text(); // resolves when the server ends the stream
    await eventually(() => llm.requests.length > 0, { timeoutMs: 60_000, what: 'the model call' });
    const cancelled = await server.call('/api/v1/namespaces/default/runs/live/cancel', {
      method: 'POST',
    });
    assert.equal(cancelled.status, 200);
    const text = await streamed;
    // Everything stored was sent before the end: the harness's run.finished and the call the
    // gateway was serving when the run was cancelled (recorded once its caller went away).
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const events = await transcript('live');
    assert.deepEqual(
      ids,
      events.map((e) => e.seq),
    );
    // The call is written before run.finished, which is the last event.
    const types = events.map((e) => e.type);
    assert.equal(types.at(-1), 'run.finished', types.join(', '));
    assert.ok(types.includes('llm.call'), types.join(', '));
    assert.equal((await finished('live')).status.phase, 'Cancelled');
  });

  it('streams the transcript over SSE and resumes after Last-Event-ID without repeats', async () => {
    const events = await transcript('add');
    const types = events.map((e) => e.type);
    assert.equal(types.at(-1), 'run.finished', types.join(', '));
    assert.ok(types.includes('llm.call'), types.join(', '));
    const middle = events[Math.floor(events.length / 2)]?.seq ?? 1;
    const res = await server.call('/api/v1/namespaces/default/runs/add/events?watch=true', {
      headers: { 'last-event-id': String(middle) },
    });
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'text/event-stream');
    const text = await res.text();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(
      ids,
      events.filter((e) => e.seq > middle).map((e) => e.seq),
    );
  });
  it('stops at maxUsd: the harness prices each call and stops before passing the budget', async () => {
    llm.requests.length = 0;
    const expensive = () => ({
      toolCalls: [{ name: 'bash', input: { command: 'true' } }],
      usage: { inputTokens: 1_000_000, outputTokens: 0 },
    });
    turns = [expensive, expensive, expensive];
    await createRun(
      'spend',
      {
        harness: { kind: 'builtin' },
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        budget: { maxUsd: 2 },
      },
      'spend',
    );
    const run = await finished('spend');
    assert.equal(run.status.phase, 'BudgetExceeded');
    assert.match(run.status.message, /maxUsd/);
    // $3 per call at $3/MTok: the first call already passes the $2 budget; no second one is made.
    assert.equal(llm.requests.length, 1);
  });

  // In its own namespace: what other tests spent today does not count against its daily budget.
  it('ends BudgetExceeded when the gateway refuses a call over the daily budget', async () => {
    llm.requests.length = 0;
    const policy = await server.call('/api/v1/namespaces/daily/policies', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Policy',
        metadata: { name: 'default' },
        spec: { budgets: { maxUsdPerNamespacePerDay: 2 } },
      }),
    });
    assert.equal(policy.status, 201, await policy.clone().text());
    const expensive = () => ({
      toolCalls: [{ name: 'bash', input: { command: 'true' } }],
      usage: { inputTokens: 1_000_000, outputTokens: 0 },
    });
    turns = [expensive, expensive, expensive];
    // No budget of its own: only the gateway knows the policy's daily limit.
    await createRun(
      'daily',
      { harness: { kind: 'builtin' }, provider: 'anthropic', model: 'claude-sonnet-4-5' },
      'spend',
      'daily',
    );
    const run = await finished('daily', 'daily');
    const events = await transcript('daily', 'daily');
    assert.equal(run.status.phase, 'BudgetExceeded', JSON.stringify(events.slice(-3)));
    assert.equal(llm.requests.length, 1, 'the refused call never reached the provider');
    const refused = events.filter((e) => e.type === 'llm.call' && e.status === 402);
    assert.equal(refused.length, 1);
    const spent = await server.call('/api/v1/namespaces/daily/runs', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name: 'refused' },
        spec: { agent: { harness: { kind: 'builtin' } }, prompt: 'x' },
      }),
    });
    // The next run is refused at create, with the violation, and never stored.
    assert.equal(spent.status, 403);
    const envelope: RunJson = await spent.json();
    assert.equal(envelope.error.code, 'policy_violation');
    assert.deepEqual(
      envelope.error.details.violations.map((v: { code: string }) => v.code),
      ['budget_exceeded'],
    );
    const stored = await server.call('/api/v1/namespaces/daily/runs/refused');
    assert.equal(stored.status, 404);
  });
});
