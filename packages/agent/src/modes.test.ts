// Modes and cancellation of the real harness process: SIGTERM mid-stream and mid-tool,
// interactive runs over stdin, and the daemon's authenticated HTTP endpoint.
import assert from 'node:assert/strict';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseTranscriptLine, type TranscriptEvent } from '@paddock/core';
import { uploadInPieces } from '@paddock/http';
import { eventually, startScriptedLlm } from '@paddock/testkit';
import { ofType, providerEnv, startAgent, tempWorkspace } from './test-support/agent-process.ts';
import { isRunning, untilGone } from './test-support/process-state.ts';

let workspace: Awaited<ReturnType<typeof tempWorkspace>>;
before(async () => {
  workspace = await tempWorkspace();
});
after(() => workspace.cleanup());

test('SIGTERM mid-stream: run.finished cancelled, exit 130', async () => {
  const llm = await startScriptedLlm({ script: [{ text: 'streaming forever', isHanging: true }] });
  try {
    const agent = startAgent({
      cwd: workspace.dir,
      args: ['--provider', 'anthropic', '--model', 'claude-sonnet-4-6', '--prompt', 'go'],
      env: providerEnv('anthropic', llm.url),
    });
    // The scripted turn sends its first frame and hangs: the stream is open once the request is in.
    await eventually(() => llm.requests.length === 1, { what: 'the model call', intervalMs: 10 });
    agent.child.kill('SIGTERM');
    const { code, events } = await agent.exited;
    assert.equal(code, 130);
    const last = events.at(-1);
    assert.equal(last?.type, 'run.finished');
    assert.equal(last.outcome, 'cancelled');
  } finally {
    await llm.close();
  }
});

test('SIGTERM mid-tool kills the tool process group: no orphans', async () => {
  const llm = await startScriptedLlm({
    script: [
      {
        toolCalls: [
          {
            name: 'bash',
            input: { command: 'sleep 300 & echo $! > bg.pid; sleep 300; echo never' },
          },
        ],
      },
    ],
  });
  try {
    const agent = startAgent({
      cwd: workspace.dir,
      args: ['--provider', 'openai', '--model', 'gpt-4o', '--prompt', 'go'],
      env: providerEnv('openai', llm.url),
    });
    await agent.waitFor((e) => e.type === 'tool.call');
    const pid = await eventually(
      async () => Number(await readFile(`${workspace.dir}/bg.pid`, 'utf8')) || false,
      { what: 'the background pid in bg.pid', intervalMs: 10 },
    );
    assert.ok(isRunning(pid));
    agent.child.kill('SIGTERM');
    const { code, events } = await agent.exited;
    assert.equal(code, 130);
    assert.equal(events.at(-1)?.type, 'run.finished');
    assert.equal(ofType(events, 'run.finished')[0]?.outcome, 'cancelled');
    await untilGone(pid);
    assert.equal(isRunning(pid), false, 'the background process of the tool was killed');
  } finally {
    await llm.close();
  }
});

test('interactive: the prompt, then two stdin messages, then end', async () => {
  const llm = await startScriptedLlm({
    script: (request) => {
      const body = JSON.stringify(request.body);
      const count = (body.match(/"role":"user"/g) ?? []).length;
      return { text: `answer ${count}` };
    },
  });
  try {
    const agent = startAgent({
      cwd: workspace.dir,
      args: [
        '--provider',
        'anthropic',
        '--model',
        'claude-haiku-4-5',
        '--mode',
        'interactive',
        '--prompt',
        'first',
      ],
      env: providerEnv('anthropic', llm.url),
    });
    await agent.waitFor((e) => e.type === 'message.assistant' && e.text === 'answer 1');
    agent.child.stdin.write(`${JSON.stringify({ type: 'message', text: 'second' })}\n`);
    await agent.waitFor((e) => e.type === 'message.assistant' && e.text === 'answer 2');
    agent.child.stdin.write('not json\n');
    agent.child.stdin.write(`${JSON.stringify({ type: 'message', text: 'third' })}\n`);
    await agent.waitFor((e) => e.type === 'message.assistant' && e.text === 'answer 3');
    agent.child.stdin.write(`${JSON.stringify({ type: 'end' })}\n`);
    const { code, events } = await agent.exited;
    assert.equal(code, 0);
    assert.deepEqual(
      ofType(events, 'message.user').map((m) => m.text),
      ['first', 'second', 'third'],
    );
    assert.equal(ofType(events, 'error')[0]?.code, 'validation_failed');
    const finished = ofType(events, 'run.finished')[0];
    assert.equal(finished?.outcome, 'succeeded');
    assert.equal(finished?.result, 'answer 3');
  } finally {
    await llm.close();
  }
});

test('interactive with an inbox directory: messages as files in name order, then end', async () => {
  const llm = await startScriptedLlm({
    script: (request) => ({
      text: `echo ${JSON.stringify(request.body)
        .match(/"(m\d)"/g)
        ?.at(-1)}`,
    }),
  });
  const inbox = join(workspace.dir, 'inbox');
  try {
    const agent = startAgent({
      cwd: workspace.dir,
      args: [
        '--provider',
        'openai',
        '--model',
        'gpt-4o',
        '--mode',
        'interactive',
        '--inbox',
        inbox,
        '--prompt',
        'm0',
      ],
      env: providerEnv('openai', llm.url),
    });
    await agent.waitFor((e) => e.type === 'message.assistant');
    // Written under a dot name and renamed into place, as the server does.
    const put = async (name: string, line: unknown) => {
      await writeFile(join(inbox, `.${name}`), `${JSON.stringify(line)}\n`);
      await rename(join(inbox, `.${name}`), join(inbox, `${name}.json`));
    };
    await put('001', { type: 'message', text: 'm1' });
    await put('002', { type: 'message', text: 'm2' });
    await agent.waitFor((e) => e.type === 'message.assistant' && e.text === 'echo "m2"');
    await put('003', { type: 'end' });
    const { code, events } = await agent.exited;
    assert.equal(code, 0);
    assert.deepEqual(
      ofType(events, 'message.user').map((m) => m.text),
      ['m0', 'm1', 'm2'],
    );
    assert.deepEqual(await readdir(inbox), [], 'read messages are removed');
  } finally {
    await llm.close();
  }
});

/** Reads an SSE response into transcript events until `until` matches. */
async function readSse(
  response: Response,
  until: (event: TranscriptEvent) => boolean,
): Promise<Array<{ id: number; event: TranscriptEvent }>> {
  const out: Array<{ id: number; event: TranscriptEvent }> = [];
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  assert.ok(reader);
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const id = /^id: (\d+)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (id !== undefined && data !== undefined) {
        const event = parseTranscriptLine(data);
        out.push({ id: Number(id), event });
        if (until(event)) {
          await reader.cancel();
          return out;
        }
      }
      end = buffer.indexOf('\n\n');
    }
  }
}

test('daemon: refuses without the token, accepts messages and streams events with resume', {
  timeout: 60_000,
}, async () => {
  const token = 'daemon-token-0123456789abcdef';
  const llm = await startScriptedLlm({
    script: [{ text: 'hello from the daemon' }, { text: 'second answer' }],
  });
  try {
    const agent = startAgent({
      cwd: workspace.dir,
      args: [
        '--provider',
        'openai',
        '--model',
        'gpt-4o-mini',
        '--mode',
        'daemon',
        '--listen',
        '127.0.0.1:0',
      ],
      env: { ...providerEnv('openai', llm.url), PADDOCK_AGENT_TOKEN: token },
    });
    const listening = await agent.waitFor(
      (e) => e.type === 'log' && e.message.startsWith('listening on '),
    );
    assert.equal(listening.type, 'log');
    const url = (listening.raw as { url: string }).url;
    const auth = { authorization: `Bearer ${token}` };

    assert.equal((await fetch(`${url}/events`)).status, 401);
    const wrong = await fetch(`${url}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}x`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'sneaky' }),
    });
    assert.equal(wrong.status, 401);
    assert.equal(
      ((await wrong.json()) as { error: { code: string } }).error.code,
      'unauthenticated',
    );
    const bad = await fetch(`${url}/messages`, {
      method: 'POST',
      headers: auth,
      body: '{"txt":1}',
    });
    assert.equal(bad.status, 400);
    for (const [i, isChunked] of [false, true, false, true].entries()) {
      const tooLarge = await uploadInPieces(`${url}/messages`, {
        headers: auth,
        sizeBytes: 4 * 1024 * 1024,
        isChunked,
        isReadingLate: i >= 2,
      });
      assert.equal(tooLarge.status, 413);
      assert.equal(JSON.parse(tooLarge.body).error.code, 'payload_too_large');
    }

    const events = await fetch(`${url}/events`, { headers: auth });
    assert.equal(events.status, 200);
    const posted = await fetch(`${url}/messages`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ text: 'hi' }),
    });
    assert.equal(posted.status, 202);
    const seen = await readSse(events, (e) => e.type === 'message.assistant');
    assert.equal(seen[0]?.event.type, 'run.started');
    assert.deepEqual(
      seen.map((s) => s.id),
      seen.map((_, i) => i + 1),
    );
    const answer = seen.at(-1);
    assert.equal(
      answer?.event.type === 'message.assistant' && answer.event.text,
      'hello from the daemon',
    );

    // Resume after the answer: only later events arrive.
    await fetch(`${url}/messages`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ text: 'again' }),
    });
    const resumed = await fetch(`${url}/events`, {
      headers: { ...auth, 'last-event-id': String(answer?.id) },
    });
    const later = await readSse(resumed, (e) => e.type === 'message.assistant');
    assert.equal(later[0]?.id, (answer?.id ?? 0) + 1);
    assert.deepEqual(
      later
        .filter((s) => s.event.type === 'message.user')
        .map((s) => s.event.type === 'message.user' && s.event.text),
      ['again'],
    );

    assert.equal((await fetch(`${url}/cancel`, { method: 'POST' })).status, 401);
    assert.equal((await fetch(`${url}/cancel`, { method: 'POST', headers: auth })).status, 202);
    const { code, events: all } = await agent.exited;
    assert.equal(code, 130);
    assert.equal(ofType(all, 'run.finished')[0]?.outcome, 'cancelled');
  } finally {
    await llm.close();
  }
});
