/**
 * `bash`: runs a command with `bash -lc` in the run's cwd, in its own process group so a timeout
 * or a cancelled run kills everything it started. stdout and stderr are merged in arrival order;
 * the result ends with the exit code (a non-zero exit is an error result).
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { defineTool, truncateOutput } from './tool.ts';

/** Default and ceiling of `timeoutMs`. */
export const BASH_DEFAULT_TIMEOUT_MS = 120_000;
export const BASH_MAX_TIMEOUT_MS = 600_000;
/** Output kept in memory before truncation for the model (head and tail survive). */
const MAX_COLLECT_CHARS = 4 * 1024 * 1024;

/** Variables a tool's process must not see: the daemon's own token. */
const HIDDEN_ENV = ['PADDOCK_AGENT_TOKEN'];

const BashArgs = z.strictObject({
  command: z
    .string()
    .min(1)
    .describe('The shell command to run (bash -lc, in the working directory).'),
  timeoutMs: z
    .int()
    .positive()
    .max(BASH_MAX_TIMEOUT_MS)
    .optional()
    .describe(
      `Kill the command after this many milliseconds (default ${BASH_DEFAULT_TIMEOUT_MS}).`,
    ),
});

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export const bashTool = defineTool({
  name: 'bash',
  description:
    'Run a shell command with bash in the working directory. Returns its combined stdout and stderr and its exit code. Long outputs are truncated in the middle.',
  schema: BashArgs,
  async run(args, context) {
    const env = { ...process.env };
    for (const name of HIDDEN_ENV) delete env[name];
    const child = spawn('bash', ['-lc', args.command], {
      cwd: context.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let dropped = 0;
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (output.length < MAX_COLLECT_CHARS) output += text;
      else dropped += text.length;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);

    let timedOut = false;
    const timeoutMs = args.timeoutMs ?? BASH_DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    const onAbort = () => killGroup(child.pid);
    context.signal.addEventListener('abort', onAbort, { once: true });
    if (context.signal.aborted) onAbort();

    const exit = await new Promise<{ code: number | null; signal: string | null; error?: Error }>(
      (resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        child.once('close', (code, signal) => resolve({ code, signal }));
      },
    );
    clearTimeout(timer);
    context.signal.removeEventListener('abort', onAbort);
    // The shell is gone; anything it left in the background goes with its group.
    killGroup(child.pid);

    if (exit.error) return { output: `bash could not start: ${exit.error.message}`, isError: true };
    let text = truncateOutput(output, context.maxOutputChars);
    if (dropped > 0) text += `\n[… ${dropped} more characters not kept …]`;
    const status = timedOut
      ? `timed out after ${timeoutMs}ms (killed)`
      : context.signal.aborted
        ? 'cancelled (killed)'
        : exit.code !== null
          ? `exit code: ${exit.code}`
          : `killed by ${exit.signal}`;
    return {
      output: text === '' ? status : `${text}${text.endsWith('\n') ? '' : '\n'}${status}`,
      isError: timedOut || exit.code !== 0,
    };
  },
});
