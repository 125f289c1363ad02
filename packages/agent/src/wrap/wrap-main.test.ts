// `paddock-agent wrap` as a real process: plain commands, signals, bad flags, a CLI that is not
// installed, the real Claude Code (the pinned package), the real Codex in interactive mode and
// refused over budget, the real OpenCode behind a refusing egress, against a scripted model (or a
// stand-in gateway) on a local port (Claude Code's and OpenCode's interactive modes are run end
// to end by apps/server/src/runs-claude-code.test.ts and runs-opencode.test.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { parseTranscriptLine, type TranscriptEvent } from '@paddock/core';
import {
  eventually,
  type RecordedRequest,
  type ScriptedLlm,
  startScriptedLlm,
} from '@paddock/testkit';

const MAIN = join(import.meta.dirname, '..', 'main.ts');

/** Pids of the processes of `group` that have not exited (from /proc; zombies excluded). */
async function liveMembers(group: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const alive: number[] = [];
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === group && state !== 'Z') alive.push(Number(pid));
  }
  return alive;
}

type Wrapped = {
  events: TranscriptEvent[];
  waitFor(predicate: (event: TranscriptEvent) => boolean): Promise<void>;
  signal(name: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; events: TranscriptEvent[]; stderr: string }>;
};

function wrap(args: string[], cwd: string, env: Record<string, string> = {}): Wrapped {
  const child = spawn(process.execPath, [MAIN, 'wrap', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: TranscriptEvent[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const reader = createInterface({ input: child.stdout });
  // Every line must be a transcript event: parseTranscriptLine throws otherwise.
  const lines: string[] = [];
  reader.on('line', (line) => {
    lines.push(line);
    events.push(parseTranscriptLine(line));
    for (const listener of listeners) listener();
  });
  const closed = new Promise<void>((resolve) => reader.once('close', resolve));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve)).then(
    async (code) => {
      await closed;
      return { code, events, stderr };
    },
  );
  return {
    events,
    exited,
    signal: (name) => child.kill(name),
    waitFor: (predicate) =>
      new Promise((resolve) => {
        const check = () => {
          if (!events.some(predicate)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
      }),
  };
}

describe('paddock-agent wrap', { timeout: 120_000 }, () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-wrap-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a command: output as deltas, exit 0 succeeds with the output as result', async () => {
    const { code, events } = await wrap(
      ['command', '--', 'sh', '-c', 'echo hello; echo "$PADDOCK_PROMPT"'],
      dir,
    ).exited;
    assert.equal(code, 0);
    assert.deepEqual(
      events.map((e) => e.type),
      ['run.started', 'message.delta', 'run.finished'],
    );
    assert.equal(events[0]?.type === 'run.started' && events[0].harness, 'command');
    const last = events.at(-1);
    assert.equal(last?.type === 'run.finished' && last.outcome, 'succeeded');
    assert.equal(last?.type === 'run.finished' && last.result, 'hello');
  });

  it('passes the prompt to a command and logs its stderr; a failing command fails the run', async () => {
    const { code, events } = await wrap(
      [
        'command',
        '--prompt',
        'the task',
        '--',
        'sh',
        '-c',
        'echo "$PADDOCK_PROMPT"; echo oops >&2; exit 3',
      ],
      dir,
    ).exited;
    assert.equal(code, 1);
    assert.ok(events.some((e) => e.type === 'message.delta' && e.text === 'the task\n'));
    assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && e.message === 'oops'));
    const last = events.at(-1);
    assert.equal(last?.type === 'run.finished' && last.outcome, 'failed');
    assert.match(String(last?.type === 'run.finished' && last.message), /exit code 3.*oops/s);
  });

  it('cancels on SIGTERM: the whole process group ends and the run is cancelled (exit 130)', async () => {
    const run = wrap(['command', '--', 'sh', '-c', 'echo $$; sleep 300 & sleep 300'], dir);
    await run.waitFor((e) => e.type === 'message.delta');
    const first = run.events.find((e) => e.type === 'message.delta');
    const group = Number(first?.type === 'message.delta' ? first.text.trim() : Number.NaN);
    assert.ok(group > 0);
    run.signal('SIGTERM');
    const { code, events } = await run.exited;
    assert.equal(code, 130);
    const last = events.at(-1);
    assert.equal(last?.type === 'run.finished' && last.outcome, 'cancelled');
    // Nothing of the command's group is left running (zombies wait for their reaper).
    await eventually(
      async () => {
        assert.deepEqual(await liveMembers(group), [], 'members of the group still alive');
        return true;
      },
      { what: `process group ${group} gone`, timeoutMs: 10_000 },
    );
  });

  it('refuses bad flags with exit 2 and no transcript', async () => {
    for (const args of [['nonsense'], ['claude-code'], ['command'], ['codex', '--bogus', 'x']]) {
      const { code, events, stderr } = await wrap(args, dir).exited;
      assert.equal(code, 2, args.join(' '));
      assert.equal(events.length, 0);
      assert.match(stderr, /usage: paddock-agent wrap/);
    }
  });

  it('reports a CLI that is not installed as a failed run', async () => {
    const { code, events } = await wrap(['command', '--', 'no-such-program-here'], dir).exited;
    assert.equal(code, 1);
    assert.ok(events.some((e) => e.type === 'error' && e.code === 'not_found'));
    assert.equal(events.at(-1)?.type, 'run.finished');
  });

  it('fails a run whose CLI is not installed, naming what is missing', async () => {
    const { code, events } = await wrap(['codex', '--prompt', 'hello'], dir, {
      PADDOCK_CODEX_BIN: join(dir, 'no-such-codex'),
    }).exited;
    assert.equal(code, 1);
    const error = events.find((e) => e.type === 'error');
    assert.equal(error?.type === 'error' && error.code, 'runtime_unavailable');
    const last = events.at(-1);
    assert.equal(last?.type === 'run.finished' && last.outcome, 'failed');
    assert.match(
      String(last?.type === 'run.finished' && last.message),
      /the codex CLI is not installed: PADDOCK_CODEX_BIN names .*no-such-codex, which is not an executable file/,
    );
  });

  it("tells a command of an interactive run its inbox's path", async () => {
    const inbox = join(dir, 'command-inbox');
    const { code, events } = await wrap(
      ['command', '--inbox', inbox, '--', 'sh', '-c', 'echo "$PADDOCK_INBOX"'],
      dir,
    ).exited;
    assert.equal(code, 0);
    assert.equal(events[0]?.type === 'run.started' && events[0].mode, 'interactive');
    const last = events.at(-1);
    assert.equal(last?.type === 'run.finished' && last.result, inbox);
  });

  describe('claude-code (the real CLI)', () => {
    const KEY = 'sk-ant-test-key';
    let llm: ScriptedLlm;
    let mode: 'write' | 'fail' = 'write';

    const hasToolResult = (request: RecordedRequest) =>
      JSON.stringify((request.body as { messages: unknown }).messages).includes('"tool_result"');

    before(async () => {
      llm = await startScriptedLlm({
        requireKey: KEY,
        script: (request) => {
          if (mode === 'fail') return { error: { status: 400, message: 'scripted refusal' } };
          if (!hasToolResult(request)) {
            return {
              thinking: 'A file is needed.',
              toolCalls: [
                { name: 'Write', input: { file_path: join(dir, 'out.txt'), content: 'written\n' } },
              ],
            };
          }
          return { text: 'Wrote out.txt.' };
        },
      });
    });

    after(async () => {
      await llm?.close();
    });

    const env = () => ({ ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: KEY });

    it('writes a file with its Write tool; the transcript is mapped', async () => {
      const { code, events, stderr } = await wrap(
        ['claude-code', '--prompt', 'write out.txt', '--model', 'claude-sonnet-4-5'],
        dir,
        env(),
      ).exited;
      assert.equal(code, 0, stderr);
      assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), 'written\n');
      const types = events.map((e) => e.type);
      assert.equal(types[0], 'run.started');
      assert.equal(types[1], 'message.user');
      for (const type of ['thinking', 'tool.call', 'tool.result', 'message.assistant', 'usage']) {
        assert.ok(types.includes(type as TranscriptEvent['type']), `${type} in ${types.join(' ')}`);
      }
      const last = events.at(-1);
      assert.equal(last?.type === 'run.finished' && last.outcome, 'succeeded');
      assert.equal(last?.type === 'run.finished' && last.result, 'Wrote out.txt.');
      assert.equal(last?.type === 'run.finished' && last.usage.toolCalls, 1);
      // The prompt went to Claude Code on stdin, and on to the model.
      assert.match(JSON.stringify(llm.requests[0]?.body), /write out\.txt/);
    });

    it('fails the run when the model refuses', async () => {
      mode = 'fail';
      const { code, events } = await wrap(['claude-code', '--prompt', 'anything'], dir, env())
        .exited;
      assert.equal(code, 1);
      const last = events.at(-1);
      assert.equal(last?.type === 'run.finished' && last.outcome, 'failed');
      assert.match(String(last?.type === 'run.finished' && last.message), /scripted refusal/);
    });
  });

  describe('codex (the real CLI), interactive', () => {
    const KEY = 'sk-test-key';
    let llm: ScriptedLlm;

    type Part = { type?: string; text?: string };
    type Turn = { role?: string; content?: string | Part[] };
    /** What the user wrote last, in either API's shape (CLI context blocks start with `<`). */
    const lastUserText = (request: RecordedRequest): string => {
      const body = request.body as { messages?: Turn[]; input?: Turn[] };
      const texts = (body.messages ?? body.input ?? [])
        .filter((turn) => turn.role === 'user')
        .flatMap((turn) =>
          typeof turn.content === 'string'
            ? [turn.content]
            : (turn.content ?? []).map((part) => part.text ?? ''),
        )
        .map((text) => text.trim())
        .filter((text) => text !== '' && !text.startsWith('<'));
      return texts.at(-1) ?? '';
    };

    before(async () => {
      llm = await startScriptedLlm({
        requireKey: KEY,
        script: (request) => ({ text: `echo: ${lastUserText(request)}` }),
      });
    });

    after(async () => {
      await llm?.close();
    });

    const converse = async (kind: string, model: string, env: Record<string, string>) => {
      const inbox = join(dir, `${kind}-inbox`);
      await mkdir(inbox, { recursive: true });
      const send = async (name: string, line: object) => {
        await writeFile(join(inbox, `.${name}`), `${JSON.stringify(line)}\n`);
        await rename(join(inbox, `.${name}`), join(inbox, `${name}.json`));
      };
      const before = llm.requests.length;
      // As a sandbox's egress does, refuse the internet.
      const offline = {
        HTTP_PROXY: 'http://127.0.0.1:9',
        HTTPS_PROXY: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1,localhost',
      };
      const run = wrap([kind, '--prompt', 'first', '--model', model, '--inbox', inbox], dir, {
        ...offline,
        ...env,
      });
      await run.waitFor((e) => e.type === 'message.assistant' && e.text === 'echo: first');
      await send('1', { type: 'message', text: 'second' });
      await run.waitFor((e) => e.type === 'message.assistant' && e.text === 'echo: second');
      await send('2', { type: 'end' });
      const { code, events, stderr } = await run.exited;
      assert.equal(code, 0, stderr);
      const started = events.filter((e) => e.type === 'run.started');
      assert.equal(started.length, 1);
      assert.equal(started[0]?.type === 'run.started' && started[0].mode, 'interactive');
      assert.deepEqual(
        events
          .filter((e) => e.type === 'message.user')
          .map((e) => e.type === 'message.user' && e.text),
        ['first', 'second'],
      );
      const last = events.at(-1);
      assert.equal(last?.type === 'run.finished' && last.outcome, 'succeeded');
      assert.equal(last?.type === 'run.finished' && last.result, 'echo: second');
      // The second process resumed the session: the model saw the first exchange too.
      const seen = llm.requests.slice(before).map((r) => JSON.stringify(r.body));
      assert.ok(seen.some((body) => /echo: first/.test(body) && /second/.test(body)));
    };

    const codexEnv = () => ({ OPENAI_BASE_URL: `${llm.url}/v1`, OPENAI_API_KEY: KEY });

    it('codex: each later message resumes its thread (codex exec resume)', async () => {
      await converse('codex', 'gpt-5.5', codexEnv());
    });

    it('codex: SIGTERM between messages cancels the run', async () => {
      const inbox = join(dir, 'codex-cancel-inbox');
      const run = wrap(
        ['codex', '--prompt', 'first', '--model', 'gpt-5.5', '--inbox', inbox],
        dir,
        {
          HTTP_PROXY: 'http://127.0.0.1:9',
          HTTPS_PROXY: 'http://127.0.0.1:9',
          NO_PROXY: '127.0.0.1,localhost',
          ...codexEnv(),
        },
      );
      await run.waitFor((e) => e.type === 'message.assistant' && e.text === 'echo: first');
      // Its usage is the first process's last line: the wrapper waits (or is about to) for a message.
      await run.waitFor((e) => e.type === 'usage');
      run.signal('SIGTERM');
      const { code, events } = await run.exited;
      assert.equal(code, 130);
      const last = events.at(-1);
      assert.equal(last?.type === 'run.finished' && last.outcome, 'cancelled');
    });
  });

  it('opencode: installs nothing in the background through the egress', async () => {
    // A stand-in for the sandbox's egress relay that refuses everything and counts what it saw.
    const seen: string[] = [];
    const egress = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(403).end();
    });
    egress.on('connect', (req, socket) => {
      seen.push(`CONNECT ${req.url}`);
      socket.on('error', () => {});
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    });
    await new Promise<void>((resolve) => egress.listen(0, '127.0.0.1', resolve));
    const key = 'sk-ant-test-key';
    const llm = await startScriptedLlm({
      requireKey: key,
      script: (request) =>
        JSON.stringify((request.body as { messages: unknown }).messages).includes('tool_result')
          ? { text: 'Done.' }
          : { toolCalls: [{ name: 'bash', input: { command: 'true', description: 'nothing' } }] },
    });
    const home = await mkdtemp(join(dir, 'opencode-home-'));
    try {
      const proxy = `http://127.0.0.1:${(egress.address() as AddressInfo).port}`;
      const { code, events, stderr } = await wrap(
        ['opencode', '--prompt', 'run true', '--model', 'claude-sonnet-4-5'],
        home,
        {
          ANTHROPIC_BASE_URL: llm.url,
          ANTHROPIC_API_KEY: key,
          HTTP_PROXY: proxy,
          HTTPS_PROXY: proxy,
          NO_PROXY: '127.0.0.1,localhost',
        },
      ).exited;
      assert.equal(code, 0, stderr);
      const last = events.at(-1);
      assert.equal(last?.type === 'run.finished' && last.result, 'Done.');
      // OpenCode would fetch @opencode-ai/plugin from the npm registry into ~/.config/opencode.
      assert.deepEqual(seen, []);
      const log = await readFile(join(home, '.local/share/opencode/log/opencode.log'), 'utf8');
      assert.doesNotMatch(log, /dependency install failed/);
    } finally {
      await llm.close();
      egress.closeAllConnections();
      await new Promise((resolve) => egress.close(resolve));
    }
  });

  it("codex: the gateway's 402 over budget ends the run at once, without a retry", async () => {
    // A stand-in for the gateway refusing every call over budget, in its OpenAI wire shape.
    let requests = 0;
    const gateway = createServer((req, res) => {
      req.resume().once('end', () => {
        requests += 1;
        res.writeHead(402, {
          'content-type': 'application/json',
          'x-paddock-budget-limit': 'maxUsd',
        });
        res.end(
          JSON.stringify({
            error: {
              message: 'run budget exceeded: spent $0.0200 of $0.0100 (maxUsd)',
              type: 'budget_exceeded',
              param: null,
              code: 'budget_exceeded',
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = gateway.address() as AddressInfo;
      const { code, events, stderr } = await wrap(
        ['codex', '--prompt', 'anything', '--model', 'gpt-5.5'],
        dir,
        { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, OPENAI_API_KEY: 'pgt_test' },
      ).exited;
      assert.equal(code, 3, stderr);
      const last = events.at(-1);
      assert.equal(last?.type === 'run.finished' && last.outcome, 'budget_exceeded');
      assert.match(String(last?.type === 'run.finished' && last.message), /run budget exceeded/);
      // Codex's retries of a status it does not know are off: one call, no "Reconnecting...".
      assert.equal(requests, 1);
      assert.ok(!events.some((e) => e.type === 'log' && /Reconnecting/.test(e.message)));
    } finally {
      gateway.closeAllConnections();
      await new Promise((resolve) => gateway.close(resolve));
    }
  });
});
