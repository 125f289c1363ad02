import { SandboxPhase } from '@paddock/core';
import { OutputFormat } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { formatResources } from '../output.ts';
import { sandboxColumns } from './get.ts';
import { oneName } from './sandbox.ts';
import { waitForPhase } from './wait-for-phase.ts';

/** Asks for a phase change, waits for `target` (spinner on a terminal) and reports it. */
async function changePhase(
  context: CommandContext,
  verb: 'stop' | 'start',
  target: SandboxPhase,
): Promise<number> {
  const { args, settings, client, io } = context;
  const name = oneName(args, `paddock sandbox ${verb} NAME`);
  const scope = { namespace: settings.namespace };
  const asked = verb === 'stop' ? client.sandboxes.stop : client.sandboxes.start;
  const first = await asked(name, scope);
  const sandbox = await waitForPhase(context, name, target, first.status?.phase);
  if (settings.output === OutputFormat.Table) {
    io.stdout(`sandbox/${name} ${verb === 'stop' ? 'stopped' : 'started'}\n`);
  } else {
    const columns = sandboxColumns(io.now());
    io.stdout(formatResources([sandbox], { format: settings.output, columns, isList: false }));
  }
  return 0;
}

const stop: Command = {
  path: ['sandbox', 'stop'],
  flags: [],
  help: `Usage: paddock sandbox stop NAME [-n NAMESPACE] [-o …]

Stops a sandbox's processes, keeping its workspace, and waits until it is Stopped (a spinner
shows progress on a terminal).

Example:
  paddock sandbox stop scratch
`,
  run: (context) => changePhase(context, 'stop', SandboxPhase.Stopped),
};

const start: Command = {
  path: ['sandbox', 'start'],
  flags: [],
  help: `Usage: paddock sandbox start NAME [-n NAMESPACE] [-o …]

Starts a stopped sandbox again and waits until it is Running (a spinner shows progress on a
terminal).

Example:
  paddock sandbox start scratch
`,
  run: (context) => changePhase(context, 'start', SandboxPhase.Running),
};

export const sandboxPowerCommands: readonly Command[] = [stop, start];
