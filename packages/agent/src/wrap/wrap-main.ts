/**
 * `paddock-agent wrap KIND …`: the process around an external agent CLI. Parses its flags (exit 2
 * on bad ones, before any transcript), runs the CLI with its transcript on stdout, turns SIGTERM
 * and SIGINT into a cancelled run (the CLI's process group gets SIGTERM; a second signal kills it
 * at once), and exits with the outcome's code, as the built-in harness does (see exit-codes.ts).
 */
import { RunOutcome } from '@paddock/core';
import { EXIT_CONFIG_ERROR, exitCodeOf } from '../exit-codes.ts';
import { RunStopper } from '../run-stopper.ts';
import { errorMessage } from '../tools/tool.ts';
import {
  parseWrapArgs,
  readPrompt,
  readSystemPrompt,
  WRAP_USAGE,
  type WrapArgs,
} from './wrap-args.ts';
import { runWrapped } from './wrap-run.ts';

function exitAfterFlush(code: number): Promise<never> {
  process.stdout.write('', () => process.exit(code));
  return new Promise<never>(() => {});
}

/** Runs `wrap` with `argv` (what follows `wrap`) and exits the process; never returns. */
export async function wrapMain(argv: readonly string[]): Promise<never> {
  if (argv.includes('--help') && !argv.slice(0, argv.indexOf('--help')).includes('--')) {
    process.stdout.write(`${WRAP_USAGE}\n`);
    return exitAfterFlush(0);
  }
  let args: WrapArgs;
  let prompt: string | undefined;
  try {
    args = parseWrapArgs(argv);
    prompt = await readPrompt(args);
    const systemPrompt = await readSystemPrompt(args);
    if (systemPrompt !== undefined) args = { ...args, systemPrompt };
  } catch (error) {
    process.stderr.write(`paddock-agent wrap: ${errorMessage(error)}\n${WRAP_USAGE}\n`);
    return exitAfterFlush(EXIT_CONFIG_ERROR);
  }

  const stopper = new RunStopper();
  const kill = new AbortController();
  let signals = 0;
  for (const name of ['SIGTERM', 'SIGINT'] as const) {
    process.on(name, () => {
      signals++;
      if (signals > 1) kill.abort();
      stopper.request({ outcome: RunOutcome.Cancelled, message: `cancelled by ${name}` });
    });
  }
  const outcome = await runWrapped(args, prompt, {
    write: (line) => {
      process.stdout.write(line);
    },
    stopper,
    kill: kill.signal,
  });
  return exitAfterFlush(exitCodeOf(outcome));
}
