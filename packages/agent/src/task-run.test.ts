// A full task run of the real harness process against the scripted LLM, on both APIs: the model
// writes a file, runs a command, reads its output, and finishes with a result.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { startScriptedLlm } from '@paddock/testkit';
import { ofType, providerEnv, startAgent, tempWorkspace } from './test-support/agent-process.ts';

const MODELS = { anthropic: 'claude-sonnet-4-6', openai: 'gpt-4o' } as const;

for (const provider of ['anthropic', 'openai'] as const) {
  describe(`task run (${provider})`, () => {
    let workspace: Awaited<ReturnType<typeof tempWorkspace>>;
    before(async () => {
      workspace = await tempWorkspace();
    });
    after(() => workspace.cleanup());

    test('writes a file, runs a command, reads its output and finishes with a result', async () => {
      const llm = await startScriptedLlm({
        requireKey: 'test-key',
        script: (request, index) => {
          const body = JSON.stringify(request.body);
          switch (index) {
            case 0:
              return {
                text: 'Writing the file.',
                toolCalls: [
                  { name: 'write_file', input: { path: 'out/x.txt', content: 'hello\n' } },
                ],
              };
            case 1:
              return {
                toolCalls: [
                  {
                    name: 'bash',
                    input: { command: 'test -f out/x.txt && echo "check-$((40+2))"' },
                  },
                ],
              };
            default:
              // The next turn is a function of the request: did the command's output reach the model?
              return {
                text: body.includes('check-42')
                  ? 'All good: check-42 seen.'
                  : 'tool output missing',
              };
          }
        },
      });
      try {
        const agent = startAgent({
          cwd: workspace.dir,
          args: [
            '--provider',
            provider,
            '--model',
            MODELS[provider],
            '--prompt',
            'make x.txt and check it',
          ],
          env: providerEnv(provider, llm.url),
        });
        const { code, events, stderr } = await agent.exited;
        assert.equal(code, 0, stderr);
        assert.equal(events[0]?.type, 'run.started');
        const finished = events.at(-1);
        assert.equal(finished?.type, 'run.finished');
        assert.equal(finished.outcome, 'succeeded');
        assert.equal(finished.result, 'All good: check-42 seen.');
        assert.equal(finished.usage.turns, 3);
        assert.equal(finished.usage.toolCalls, 2);
        assert.ok(finished.usage.costUsd > 0, 'a priced model shows a cost');
        assert.equal(await readFile(`${workspace.dir}/out/x.txt`, 'utf8'), 'hello\n');
        const results = ofType(events, 'tool.result');
        assert.deepEqual(
          results.map((r) => [r.name, r.isError]),
          [
            ['write_file', false],
            ['bash', false],
          ],
        );
        assert.match(results[1]?.output ?? '', /check-42\nexit code: 0/);
        assert.ok(ofType(events, 'message.delta').length > 0, 'text streams as deltas');
        assert.deepEqual(
          ofType(events, 'message.assistant').map((m) => m.text),
          ['Writing the file.', 'All good: check-42 seen.'],
        );
        assert.equal(ofType(events, 'usage').length, 3);
        assert.equal(llm.requests.length, 3);
        assert.equal(llm.requests[0]?.isStream, true);
      } finally {
        await llm.close();
      }
    });
  });
}
