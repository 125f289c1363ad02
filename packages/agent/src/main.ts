/**
 * `paddock-agent`: the process. Resolves the config (exit 2 on a bad one, before any transcript),
 * runs the harness with its transcript on stdout, turns SIGTERM and SIGINT into a cancelled run
 * (a second signal exits at once), and exits with the outcome's code (see exit-codes.ts).
 */
import { RunOutcome } from '@paddock/core';
import { resolveConfig, USAGE } from './config.ts';
import { EXIT_CONFIG_ERROR } from './exit-codes.ts';
import { prepareRun, runHarness } from './run-harness.ts';
import { errorMessage } from './tools/tool.ts';

// `paddock-agent wrap KIND …` runs an external agent CLI instead (wrap/wrap-main.ts; it exits).
if (process.argv[2] === 'wrap') {
  await (await import('./wrap/wrap-main.ts')).wrapMain(process.argv.slice(3));
}

function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

let run: ReturnType<typeof prepareRun>;
try {
  const parsed = resolveConfig(process.argv.slice(2), process.env);
  if (parsed.isHelp) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  run = prepareRun(parsed.config);
} catch (error) {
  process.stderr.write(`paddock-agent: ${errorMessage(error)}\n${USAGE}\n`);
  process.exit(EXIT_CONFIG_ERROR);
}

let signals = 0;
for (const name of ['SIGTERM', 'SIGINT'] as const) {
  process.on(name, () => {
    signals++;
    if (signals > 1) process.exit(130);
    run.stopper.request({ outcome: RunOutcome.Cancelled, message: `cancelled by ${name}` });
  });
}

const result = await runHarness(run, {
  write: (line) => {
    process.stdout.write(line);
  },
  stdin: process.stdin,
});
exitAfterFlush(result.exitCode);
