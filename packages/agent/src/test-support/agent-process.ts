/**
 * Test support: runs `node packages/agent/src/main.ts` as a real child process in a temp
 * directory, collects its transcript (every line parsed with `parseTranscriptLine`, so a line that
 * breaks the schema fails the test) and its exit code.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseTranscriptLine, type TranscriptEvent } from '@paddock/core';

export const MAIN = join(import.meta.dirname, '..', 'main.ts');

export type AgentProcess = {
  child: ChildProcessWithoutNullStreams;
  events: TranscriptEvent[];
  /** Resolves with the first event (already seen or later) that matches. */
  waitFor(predicate: (event: TranscriptEvent) => boolean): Promise<TranscriptEvent>;
  /** Resolves when the process has exited, with its code and everything it wrote. */
  exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    events: TranscriptEvent[];
    stderr: string;
  }>;
};

export type AgentOptions = {
  args: string[];
  cwd: string;
  env?: Record<string, string>;
};

export function startAgent(options: AgentOptions): AgentProcess {
  const child = spawn(process.execPath, [MAIN, '--cwd', options.cwd, ...options.args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.cwd, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events: TranscriptEvent[] = [];
  const waiters: Array<{
    predicate: (event: TranscriptEvent) => boolean;
    resolve: (event: TranscriptEvent) => void;
  }> = [];
  let stderr = '';
  let parseError: unknown;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let event: TranscriptEvent;
    try {
      event = parseTranscriptLine(line);
    } catch (error) {
      parseError ??= new Error(`transcript line does not parse: ${line}`, { cause: error });
      return;
    }
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  });
  const linesClosed = new Promise<void>((resolve) => lines.once('close', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  ).then(async (status) => {
    await linesClosed;
    if (parseError) throw parseError;
    return { ...status, events, stderr };
  });
  return {
    child,
    events,
    exited,
    waitFor(predicate) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        exited.then(
          () => reject(new Error(`the harness exited before the awaited event; stderr: ${stderr}`)),
          reject,
        );
      });
    },
  };
}

/** A temp directory for one test; `cleanup()` removes it. */
export async function tempWorkspace(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'paddock-agent-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Environment for a provider pointed at a scripted LLM at `url`. */
export function providerEnv(
  provider: 'anthropic' | 'openai',
  url: string,
  key = 'test-key',
): Record<string, string> {
  return provider === 'anthropic'
    ? { ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: url }
    : { OPENAI_API_KEY: key, OPENAI_BASE_URL: `${url}/v1` };
}

/** Events of one type, typed. */
export function ofType<T extends TranscriptEvent['type']>(
  events: readonly TranscriptEvent[],
  type: T,
): Extract<TranscriptEvent, { type: T }>[] {
  return events.filter(
    (event): event is Extract<TranscriptEvent, { type: T }> => event.type === type,
  );
}
