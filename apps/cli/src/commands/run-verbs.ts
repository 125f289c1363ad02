import type { Run } from '@paddock/core';
import { OutputFormat, usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { shouldColor } from '../exit-codes.ts';
import { type Column, formatAge, formatResources } from '../output.ts';
import { formatTokens } from '../transcript/outcome.ts';
import { TranscriptRenderer } from '../transcript/renderer.ts';
import { followRun } from './run-follow.ts';
import { oneName } from './sandbox.ts';

export function runColumns(now: Date): Column<Run>[] {
  return [
    { header: 'NAME', value: (r) => r.metadata.name ?? '' },
    { header: 'AGENT', value: (r) => r.spec.agentRef?.name ?? '(inline)' },
    { header: 'PHASE', value: (r) => r.status?.phase ?? 'Pending' },
    { header: 'TURNS', value: (r) => String(r.status?.usage?.turns ?? 0) },
    {
      header: 'TOKENS',
      value: (r) => {
        const usage = r.status?.usage;
        return usage
          ? `${formatTokens(usage.inputTokens)}/${formatTokens(usage.outputTokens)}`
          : '-';
      },
    },
    { header: 'COST', value: (r) => `$${(r.status?.usage?.costUsd ?? 0).toFixed(4)}` },
    { header: 'AGE', value: (r) => formatAge(r.metadata.creationTimestamp, now) },
  ];
}

function printRuns(context: CommandContext, items: Run[], isList: boolean) {
  const columns = runColumns(context.io.now());
  context.io.stdout(formatResources(items, { format: context.settings.output, columns, isList }));
}

const list: Command = {
  path: ['run', 'list'],
  flags: [],
  help: `Usage: paddock run list [-n NAMESPACE] [-o table|json|yaml|name]

Lists the runs of a namespace: NAME, AGENT, PHASE, TURNS, TOKENS (in/out), COST, AGE.

Example:
  paddock run list
`,
  async run(context) {
    if (context.args.length > 0) oneName(['', ...context.args], 'paddock run list');
    const found = await context.client.runs.list({ namespace: context.settings.namespace });
    printRuns(context, found.items, true);
    return 0;
  },
};

const get: Command = {
  path: ['run', 'get'],
  flags: [],
  help: `Usage: paddock run get NAME [-n NAMESPACE] [-o table|json|yaml|name]

Shows one run (-o yaml: its spec, phase, usage and result).

Example:
  paddock run get helper-x7k2p -o yaml
`,
  async run(context) {
    const name = oneName(context.args, 'paddock run get NAME');
    const run = await context.client.runs.get(name, { namespace: context.settings.namespace });
    printRuns(context, [run], false);
    return 0;
  },
};

const PAGE = 1000;

const logs: Command = {
  path: ['run', 'logs'],
  flags: ['follow', 'verbose'],
  help: `Usage: paddock run logs NAME [--follow] [-v|--verbose] [-n NAMESPACE] [-o json]

Prints a run's transcript as paddock run shows it (-o json: one stored event per line). With
--follow, keeps printing new events until the run ends or you press Ctrl-C (the run goes on).

Example:
  paddock run logs helper-x7k2p --follow
`,
  async run(context) {
    const { args, invocation, settings, client, io } = context;
    const name = oneName(args, 'paddock run logs NAME [--follow]');
    const isVerbose = invocation.flags.verbose === true;
    if (invocation.flags.follow) {
      await followRun(context, name, {
        isInteractive: false,
        isVerbose,
        isCancelledByInterrupt: false,
      });
      return 0;
    }
    const isJson = settings.output === OutputFormat.Json;
    const isColor = shouldColor(process.stdout, context.env);
    const renderer = new TranscriptRenderer({ isColor, isVerbose });
    let afterSeq = 0;
    for (;;) {
      const page = await client.runs.events(name, {
        namespace: settings.namespace,
        afterSeq,
        limit: PAGE,
      });
      for (const event of page.items) {
        afterSeq = event.seq;
        io.stdout(isJson ? `${JSON.stringify(event)}\n` : renderer.push(event));
      }
      if (page.items.length < PAGE) break;
    }
    if (!isJson) io.stdout(renderer.flush());
    return 0;
  },
};

const cancel: Command = {
  path: ['run', 'cancel'],
  flags: [],
  help: `Usage: paddock run cancel NAME [-n NAMESPACE]

Cancels a run: its harness is stopped and it ends Cancelled.

Example:
  paddock run cancel helper-x7k2p
`,
  async run({ args, settings, client, io }) {
    const name = oneName(args, 'paddock run cancel NAME');
    await client.runs.cancel(name, { namespace: settings.namespace });
    io.stdout(`run/${name} cancelled\n`);
    return 0;
  },
};

const send: Command = {
  path: ['run', 'send'],
  flags: [],
  help: `Usage: paddock run send NAME TEXT… [-n NAMESPACE]

Sends a message to an interactive run (TEXT - reads it from stdin).

Example:
  paddock run send helper-x7k2p "now add a test for it"
`,
  async run({ args, settings, client, io }) {
    const [name, ...words] = args;
    if (name === undefined || words.length === 0) {
      throw usageError([{ path: name === undefined ? 'NAME' : 'TEXT', message: 'is required' }]);
    }
    const text = words.length === 1 && words[0] === '-' ? await io.readStdin() : words.join(' ');
    await client.runs.send(name, text, { namespace: settings.namespace });
    io.stdout(`message sent to run/${name}\n`);
    return 0;
  },
};

const remove: Command = {
  path: ['run', 'delete'],
  flags: [],
  help: `Usage: paddock run delete NAME [-n NAMESPACE]

Deletes a run.

Example:
  paddock run delete helper-x7k2p
`,
  async run({ args, settings, client, io }) {
    const name = oneName(args, 'paddock run delete NAME');
    await client.runs.delete(name, { namespace: settings.namespace });
    io.stdout(`run/${name} deleted\n`);
    return 0;
  },
};

/** The verbs of `paddock run`; they come before `run AGENT PROMPT` in the command table. */
export const runVerbCommands: readonly Command[] = [list, get, logs, cancel, send, remove];
