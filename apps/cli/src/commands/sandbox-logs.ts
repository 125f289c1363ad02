import type { Operations } from '@paddock/client';
import type { Command } from '../command.ts';
import { type Column, formatAge, formatList } from '../output.ts';
import { oneName } from './sandbox.ts';
import { interruption, printWatch } from './watch-list.ts';

type ResourceEvent = Operations['listSandboxEvents']['result']['items'][number];

function eventColumns(now: Date): Column<ResourceEvent>[] {
  return [
    { header: 'AGE', value: (e) => formatAge(e.timestamp, now) },
    { header: 'TYPE', value: (e) => e.type },
    { header: 'REASON', value: (e) => e.reason },
    { header: 'MESSAGE', value: (e) => e.message },
  ];
}

const withNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

const logs: Command = {
  path: ['sandbox', 'logs'],
  flags: ['follow'],
  help: `Usage: paddock sandbox logs NAME [--follow] [-n NAMESPACE]

Prints the output of a sandbox's main process; with --follow, keeps printing new lines (stderr
lines to stderr) until the process ends or you press Ctrl-C.

Example:
  paddock sandbox logs scratch --follow
`,
  async run({ args, invocation, settings, client, io }) {
    const name = oneName(args, 'paddock sandbox logs NAME [--follow]');
    const scope = { namespace: settings.namespace };
    if (!invocation.flags.follow) {
      io.stdout(await client.sandboxes.logs(name, scope));
      return 0;
    }
    const { signal, dispose } = interruption();
    try {
      for await (const line of client.sandboxes.logs(name, { ...scope, follow: true, signal })) {
        (line.stream === 'stderr' ? io.stderr : io.stdout)(withNewline(line.text));
      }
    } finally {
      dispose();
    }
    return 0;
  },
};

const events: Command = {
  path: ['sandbox', 'events'],
  flags: ['watch'],
  help: `Usage: paddock sandbox events NAME [-n NAMESPACE] [-o table|json|yaml|name] [-w]

Lists what happened to a sandbox, oldest first: AGE, TYPE, REASON, MESSAGE. With --watch (-w),
keeps printing new events as they happen (-o json: one JSON object per line) until Ctrl-C.

Example:
  paddock sandbox events scratch
  paddock sandbox events scratch --watch
`,
  async run(context) {
    const { args, settings, client, io, invocation } = context;
    const name = oneName(args, 'paddock sandbox events NAME');
    if (invocation.flags.watch) {
      return printWatch(context, {
        initial: [],
        stream: (signal) =>
          client.sandboxes.events(name, { namespace: settings.namespace, watch: true, signal }),
        columns: eventColumns,
        nameOf: (e) => `event/${e.reason}`,
        minWidths: [4, 7, 12],
      });
    }
    const list = await client.sandboxes.events(name, { namespace: settings.namespace });
    io.stdout(
      formatList(list, {
        format: settings.output,
        columns: eventColumns(io.now()),
        nameOf: (e) => `event/${e.reason}`,
        empty: 'No events found.\n',
      }),
    );
    return 0;
  },
};

export const sandboxLogsCommands: readonly Command[] = [logs, events];
