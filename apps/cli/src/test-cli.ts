// Test support: the real `paddock` CLI as a child process or in this process, its output collected.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli as runCliHere } from './cli.ts';

export const CLI_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export type CliResult = { code: number | null; stdout: string; stderr: string };

export type CliProcess = {
  child: ChildProcessWithoutNullStreams;
  /** Resolves when the process has exited and its streams are closed. */
  done: Promise<CliResult>;
  /** Resolves with stdout so far once it matches `pattern` (throws if the CLI exits first). */
  waitFor(pattern: RegExp): Promise<string>;
};

/** Starts `paddock ARGS…` with `env` (the test's environment and `NO_COLOR` by default). */
export function spawnCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' },
): CliProcess {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const waitFor = async (pattern: RegExp): Promise<string> => {
    while (!pattern.test(stdout)) {
      if (child.exitCode !== null) throw new Error(`exited early: ${stdout}\n${stderr}`);
      await new Promise<void>((wake) => waiters.push(wake));
    }
    return stdout;
  };
  return { child, done, waitFor };
}

/** Runs `paddock ARGS…` to the end with `stdin` as its input. */
export function runCli(
  args: readonly string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const run = spawnCli(args, options.env);
  run.child.stdin.end(options.stdin ?? '');
  return run.done;
}

/**
 * Runs `paddock ARGS…` in this process with the real CLI (no child: for many quick runs), with no
 * input and `env` as its environment; `output` is stdout and stderr as they interleaved.
 */
export async function runCliInProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<CliResult & { output: string }> {
  let stdout = '';
  let stderr = '';
  let output = '';
  const io = {
    stdout: (chunk: string) => {
      stdout += chunk;
      output += chunk;
    },
    stderr: (chunk: string) => {
      stderr += chunk;
      output += chunk;
    },
    isInteractive: false,
    readStdin: async () => '',
    now: () => new Date(),
  };
  const code = await runCliHere([...args], io, env);
  return { code, stdout, stderr, output };
}
