/** The tool that runs a command in a sandbox: sandbox_exec. */
import type { ExecBody } from '@paddock/api';
import { ErrorCode, isErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';
import { defineTool, NamespaceInput, type PaddockTool, scopeOf } from '../tool.ts';
import { defined } from './optional-fields.ts';
import { clip, DEFAULT_OUTPUT_CHARS } from './output-clip.ts';
import { AbsolutePath, EnvMap, SandboxName } from './sandbox-inputs.ts';

/** The longest line of output one progress notification carries. */
const PROGRESS_CHUNK_CHARS = 4_000;

const execTool = defineTool({
  name: 'sandbox_exec',
  title: 'Run a command in a sandbox',
  description:
    'Runs a command in a Running sandbox and waits for it to end. `command` is an argv array (run as is) or a string (run through `sh -c`, so pipes and && work). Output is streamed as progress notifications while it runs; cancelling the call kills the process; `timeoutMs` (default 60 s) kills it too and sets timedOut. Returns exitCode (null when killed by a signal), signal, timedOut, and stdout/stderr (long output keeps its head and tail, with truncated set).',
  input: z.object({
    name: SandboxName,
    namespace: NamespaceInput,
    command: z
      .union([z.array(z.string()).min(1), z.string().min(1)])
      .describe('argv like ["ls","-la"], or a shell command line like "ls -la | head"'),
    cwd: AbsolutePath.optional().describe(
      'Working directory; the template’s (/workspace) when absent',
    ),
    env: EnvMap.optional().describe('Extra environment variables'),
    stdin: z.string().optional().describe('Text written to the standard input, then closed'),
    timeoutMs: z
      .int()
      .min(1)
      .max(60 * 60 * 1000)
      .default(60_000)
      .describe('Kill the command after this long (ms)'),
    maxOutputChars: z
      .int()
      .min(100)
      .max(1_000_000)
      .default(DEFAULT_OUTPUT_CHARS)
      .describe('Characters of stdout and of stderr to return'),
  }),
  output: z.object({
    exitCode: z.int().nullable(),
    signal: z.string().nullable(),
    timedOut: z.boolean(),
    stdout: z.string(),
    stderr: z.string(),
    truncated: z.boolean().describe('True when stdout or stderr was cut to maxOutputChars'),
    durationMs: z.number(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  handle: async (input, { client, signal, progress }) => {
    const body: ExecBody = {
      command: typeof input.command === 'string' ? ['sh', '-c', input.command] : input.command,
      timeoutMs: input.timeoutMs,
      ...defined({ cwd: input.cwd, env: input.env, stdin: input.stdin }),
    };
    const out = { stdout: '', stderr: '' };
    let chunks = 0;
    const events = client.sandboxes.execStream(input.name, body, {
      ...scopeOf(input.namespace),
      signal,
    });
    for await (const event of events) {
      switch (event.type) {
        case 'started':
          break;
        case 'stdout':
        case 'stderr':
          // Keeps at most twice the limit in memory; clip() cuts the middle at the end.
          out[event.type] = clip(out[event.type] + event.data, 2 * input.maxOutputChars).text;
          chunks += 1;
          await progress(chunks, undefined, event.data.slice(0, PROGRESS_CHUNK_CHARS));
          break;
        case 'exit': {
          const stdout = clip(out.stdout, input.maxOutputChars);
          const stderr = clip(out.stderr, input.maxOutputChars);
          return {
            exitCode: event.exitCode,
            signal: event.signal,
            timedOut: event.timedOut,
            stdout: stdout.text,
            stderr: stderr.text,
            truncated: stdout.isClipped || stderr.isClipped,
            durationMs: event.durationMs,
          };
        }
        case 'error':
          throw new PaddockError(
            isErrorCode(event.code) ? event.code : ErrorCode.Internal,
            event.message,
          );
      }
    }
    throw new PaddockError(ErrorCode.Internal, 'the exec stream ended without an exit status');
  },
});

export const sandboxExecTools: PaddockTool[] = [execTool];
