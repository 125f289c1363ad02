// Background processes over REST, through the typed client, on the real bubblewrap runtime: start,
// list, describe, follow (output from the start, then live), kill, and the errors on the way.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ExecStreamEvent } from '@paddock/api';
import { createClient, type PaddockClient } from '@paddock/client';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { bwrapSkipReason } from '@paddock/testkit';
import { createRunningSandbox, startTestServer, type TestServer } from './test-server.ts';

/** Follows a process until `until` matches its output so far (or its events end). */
async function followUntil(
  events: AsyncIterable<ExecStreamEvent>,
  until: (seen: ExecStreamEvent[]) => boolean,
): Promise<ExecStreamEvent[]> {
  const seen: ExecStreamEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    if (until(seen)) break;
  }
  return seen;
}

const textOf = (events: ExecStreamEvent[], type: 'stdout' | 'stderr') =>
  events.map((e) => (e.type === type ? e.data : '')).join('');

describe('background processes over REST', { skip: bwrapSkipReason() }, () => {
  let s: TestServer;
  let client: PaddockClient;
  const box = 'procs';

  before(async () => {
    s = await startTestServer();
    client = createClient({ baseUrl: s.url });
    await createRunningSandbox(s, box);
  });
  after(() => s?.close());

  it('starts a process that runs on, lists it, follows its output and reads its end', async () => {
    const script =
      'echo first; echo oops >&2; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo second > /dev/stdout; exit 3';
    const started = await client.sandboxes.processes.start(box, {
      command: ['sh', '-c', script],
      processId: 'job',
      env: { GREETING: 'hi' },
    });
    assert.equal(started.id, 'job');
    assert.equal(started.running, true);
    assert.deepEqual(started.command, ['sh', '-c', script]);

    const early = await followUntil(client.sandboxes.processes.follow(box, 'job'), (seen) =>
      textOf(seen, 'stdout').includes('first'),
    );
    assert.deepEqual(early[0], { type: 'started', processId: 'job' });
    const listed = await client.sandboxes.processes.list(box);
    assert.equal(
      listed.items.find((p) => p.id === 'job')?.running,
      true,
      'ran on after the reader left',
    );

    await client.sandboxes.exec(box, { command: ['touch', '/tmp/go'] });
    const all = await followUntil(client.sandboxes.processes.follow(box, 'job'), () => false);
    assert.equal(textOf(all, 'stdout'), 'first\nsecond\n', 'from the start, then live');
    assert.equal(textOf(all, 'stderr'), 'oops\n');
    const last = all.at(-1);
    assert.equal(last?.type, 'exit');
    assert.deepEqual(last?.type === 'exit' ? [last.exitCode, last.signal, last.timedOut] : [], [
      3,
      null,
      false,
    ]);
    const ended = await client.sandboxes.processes.get(box, 'job');
    assert.deepEqual(
      [ended.running, ended.exit],
      [false, { exitCode: 3, signal: null, timedOut: false }],
    );
  });

  it('kills a process and all it started, with SIGKILL or the signal asked for', async () => {
    await client.sandboxes.processes.start(box, {
      command: ['sh', '-c', 'sleep 1901 & sleep 1901'],
      processId: 'sleeper',
    });
    const killed = await client.sandboxes.processes.kill(box, 'sleeper');
    assert.deepEqual([killed.running, killed.exit?.signal], [false, 'SIGKILL']);
    const left = await client.sandboxes.exec(box, {
      command: [
        'sh',
        '-c',
        'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < $f; echo; done | grep -c "^sleep 1901" || true',
      ],
    });
    assert.equal(left.stdout.trim(), '0', 'no sleep left');
    assert.deepEqual(
      await client.sandboxes.processes.kill(box, 'sleeper'),
      killed,
      'an ended process is answered as it is',
    );

    await client.sandboxes.processes.start(box, {
      command: [
        'sh',
        '-c',
        'trap "echo bye; exit 5" TERM; echo ready; while :; do sleep 0.05; done',
      ],
      processId: 'trapper',
    });
    await followUntil(client.sandboxes.processes.follow(box, 'trapper'), (seen) =>
      textOf(seen, 'stdout').includes('ready'),
    );
    await client.sandboxes.processes.kill(box, 'trapper', { signalName: 'SIGTERM' });
    const rest = await followUntil(client.sandboxes.processes.follow(box, 'trapper'), () => false);
    assert.equal(textOf(rest, 'stdout'), 'ready\nbye\n');
    assert.deepEqual(rest.at(-1)?.type === 'exit' && rest.at(-1), {
      type: 'exit',
      exitCode: 5,
      signal: null,
      timedOut: false,
      durationMs: (rest.at(-1) as { durationMs: number }).durationMs,
    });
  });

  it('answers conflict, not_found and validation_failed with the field named', async () => {
    await client.sandboxes.processes.start(box, { command: ['sleep', '1902'], processId: 'dup' });
    try {
      await assert.rejects(
        client.sandboxes.processes.start(box, { command: ['true'], processId: 'dup' }),
        (e) => isPaddockError(e, ErrorCode.Conflict),
      );
    } finally {
      await client.sandboxes.processes.kill(box, 'dup');
    }
    const missing = [
      () => client.sandboxes.processes.get(box, 'nope'),
      () => client.sandboxes.processes.kill(box, 'nope'),
      () => client.sandboxes.processes.list('no-such-box'),
    ];
    for (const call of missing) {
      await assert.rejects(call(), (e) => isPaddockError(e) && /not_found$/.test(e.code));
    }
    const bad = await s.call(`/api/v1/namespaces/default/sandboxes/${box}/processes`, {
      method: 'POST',
      body: JSON.stringify({ command: ['true'], processId: '../x' }),
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /processId/);
    const signal = await s.call(
      `/api/v1/namespaces/default/sandboxes/${box}/processes/dup?signal=sig%20kill`,
      { method: 'DELETE' },
    );
    assert.equal(signal.status, 400);
    assert.match(await signal.text(), /signal/);
  });
});
