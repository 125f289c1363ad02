// `paddock sandbox ps` and `sandbox kill`: a sandbox's background processes (docs/processes.md).
import type { SandboxProcess } from '@paddock/api';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { Command } from '../command.ts';
import { type Column, formatAge, formatList } from '../output.ts';
import { oneName } from './sandbox.ts';

function statusOf(process: SandboxProcess): string {
  if (process.running) return 'Running';
  const exit = process.exit;
  if (exit === undefined) return 'Ended';
  const how = exit.signal ?? `exit ${exit.exitCode}`;
  return exit.timedOut ? `${how} (timed out)` : how;
}

function processColumns(now: Date): Column<SandboxProcess>[] {
  return [
    { header: 'ID', value: (p) => p.id },
    { header: 'STATUS', value: statusOf },
    { header: 'AGE', value: (p) => formatAge(p.startedAt, now) },
    { header: 'COMMAND', value: (p) => p.command.join(' ') },
  ];
}

const ps: Command = {
  path: ['sandbox', 'ps'],
  flags: [],
  help: `Usage: paddock sandbox ps NAME [-n NAMESPACE] [-o table|json|yaml|name]

Lists a sandbox's background processes, running and ended, oldest first: ID, STATUS (Running,
exit N, or the signal that ended it), AGE, COMMAND. \`main\` is the template's command.

Example:
  paddock sandbox ps scratch
`,
  async run({ args, settings, client, io }) {
    const name = oneName(args, 'paddock sandbox ps NAME');
    const list = await client.sandboxes.processes.list(name, { namespace: settings.namespace });
    io.stdout(
      formatList(list, {
        format: settings.output,
        columns: processColumns(io.now()),
        nameOf: (p) => `process/${p.id}`,
        empty: 'No processes found.\n',
      }),
    );
    return 0;
  },
};

const kill: Command = {
  path: ['sandbox', 'kill'],
  flags: ['signal'],
  help: `Usage: paddock sandbox kill NAME PROCESS_ID [--signal SIGNAL] [-n NAMESPACE]

Signals a background process and every process it started: SIGKILL unless --signal says
otherwise (SIGKILL waits until it has ended). Prints the process's status after.

Example:
  paddock sandbox kill scratch web --signal SIGTERM
`,
  async run({ args, invocation, settings, client, io }) {
    const [name, processId, ...extra] = args;
    if (name === undefined || processId === undefined || extra.length > 0) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        'usage: paddock sandbox kill NAME PROCESS_ID',
        { issues: [{ path: 'PROCESS_ID', message: 'give NAME and PROCESS_ID' }] },
      );
    }
    const signalName = invocation.flags.signal;
    const process = await client.sandboxes.processes.kill(name, processId, {
      namespace: settings.namespace,
      ...(signalName === undefined ? {} : { signalName }),
    });
    io.stdout(`process/${process.id} ${statusOf(process)}\n`);
    return 0;
  },
};

export const sandboxProcessCommands: readonly Command[] = [ps, kill];
