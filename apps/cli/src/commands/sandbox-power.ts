import { SandboxPhase } from '@paddock/core';
import { OutputFormat } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { formatResources } from '../output.ts';
import { sandboxColumns } from './get.ts';
import { oneName } from './sandbox.ts';
import { waitForPhase } from './wait-for-phase.ts';

type Verb = 'stop' | 'start' | 'pause' | 'resume';
const DONE = { stop: 'stopped', start: 'started', pause: 'paused', resume: 'resumed' } as const;

/** Asks for a phase change, waits for `target` (spinner on a terminal) and reports it. */
async function changePhase(
  context: CommandContext,
  verb: Verb,
  target: SandboxPhase,
): Promise<number> {
  const { args, settings, client, io } = context;
  const name = oneName(args, `paddock sandbox ${verb} NAME`);
  const scope = { namespace: settings.namespace };
  const first = await client.sandboxes[verb](name, scope);
  const sandbox = await waitForPhase(context, name, target, first.status?.phase);
  if (settings.output === OutputFormat.Table) {
    const how = verb === 'pause' ? ` (${sandbox.status?.pauseMechanism ?? 'paused'})` : '';
    io.stdout(`sandbox/${name} ${DONE[verb]}${how}\n`);
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

const pause: Command = {
  path: ['sandbox', 'pause'],
  flags: [],
  help: `Usage: paddock sandbox pause NAME [-n NAMESPACE] [-o …]

Pauses a sandbox: its processes are frozen in place (memory kept, no CPU used) until it is
resumed, and waits until it is Paused. Exec, files and terminals are refused meanwhile
(sandbox_paused), unless an exec asks for --auto-resume. The Kubernetes runtime cannot pause.

Example:
  paddock sandbox pause scratch
`,
  run: (context) => changePhase(context, 'pause', SandboxPhase.Paused),
};

const resume: Command = {
  path: ['sandbox', 'resume'],
  flags: [],
  help: `Usage: paddock sandbox resume NAME [-n NAMESPACE] [-o …]

Resumes a paused sandbox and waits until it is Running: its processes go on where they were.

Example:
  paddock sandbox resume scratch
`,
  run: (context) => changePhase(context, 'resume', SandboxPhase.Running),
};

export const sandboxPowerCommands: readonly Command[] = [stop, start, pause, resume];
