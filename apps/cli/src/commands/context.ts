import { stringify } from 'yaml';
import {
  type CliContext,
  cliConfigPath,
  deleteContext,
  loadCliConfig,
  saveCliConfig,
  useContext,
} from '../cli-config.ts';
import { OutputFormat } from '../cli-options.ts';
import type { Command } from '../command.ts';
import { type Column, formatTable } from '../output.ts';
import { oneName } from './sandbox.ts';

/** A context as listed: never the key itself, only whether one is stored. */
type ContextRow = {
  name: string;
  isCurrent: boolean;
  server: string;
  namespace: string;
  user: string;
  token: 'set' | 'none';
};

function row(context: CliContext, current: string): ContextRow {
  return {
    name: context.name,
    isCurrent: context.name === current,
    server: context.server,
    namespace: context.namespace ?? 'default',
    user: context.user ?? '',
    token: context.token === undefined ? 'none' : 'set',
  };
}

const COLUMNS: Column<ContextRow>[] = [
  { header: 'CURRENT', value: (c) => (c.isCurrent ? '*' : '') },
  { header: 'NAME', value: (c) => c.name },
  { header: 'SERVER', value: (c) => c.server },
  { header: 'NAMESPACE', value: (c) => c.namespace },
  { header: 'USER', value: (c) => c.user },
  { header: 'TOKEN', value: (c) => c.token },
];

const list: Command = {
  path: ['context', 'list'],
  flags: [],
  help: `Usage: paddock context list [-o table|json|yaml|name]

Lists the contexts saved by paddock login (no network needed): CURRENT (*), NAME, SERVER,
NAMESPACE, USER, and TOKEN (set or none: keys are never printed).

Example:
  paddock context list -o name
`,
  async run({ args, settings, io, env }) {
    if (args.length > 0) oneName(['', ...args], 'paddock context list');
    const config = loadCliConfig(cliConfigPath(env));
    const rows = config.contexts.map((c) => row(c, config.currentContext));
    const document = { currentContext: config.currentContext, contexts: rows };
    switch (settings.output) {
      case OutputFormat.Table:
        io.stdout(
          rows.length === 0
            ? 'No contexts found (create one with paddock login).\n'
            : formatTable(COLUMNS, rows),
        );
        return 0;
      case OutputFormat.Json:
        io.stdout(`${JSON.stringify(document, null, 2)}\n`);
        return 0;
      case OutputFormat.Yaml:
        io.stdout(stringify(document));
        return 0;
      case OutputFormat.Name:
        io.stdout(rows.map((c) => `context/${c.name}\n`).join(''));
        return 0;
      default: {
        const unhandled: never = settings.output;
        throw new Error(`unknown output format ${String(unhandled)}`);
      }
    }
  },
};

const use: Command = {
  path: ['context', 'use'],
  flags: [],
  help: `Usage: paddock context use NAME

Makes a saved context the current one: later commands talk to its server, with its key and
namespace.

Example:
  paddock context use prod
`,
  async run({ args, io, env }) {
    const name = oneName(args, 'paddock context use NAME');
    const path = cliConfigPath(env);
    saveCliConfig(path, useContext(loadCliConfig(path), name));
    io.stdout(`switched to context "${name}"\n`);
    return 0;
  },
};

const remove: Command = {
  path: ['context', 'delete'],
  flags: [],
  help: `Usage: paddock context delete NAME

Deletes a saved context and its key. Deleting the current context leaves none current.

Example:
  paddock context delete staging
`,
  async run({ args, io, env }) {
    const name = oneName(args, 'paddock context delete NAME');
    const path = cliConfigPath(env);
    saveCliConfig(path, deleteContext(loadCliConfig(path), name));
    io.stdout(`context/${name} deleted\n`);
    return 0;
  },
};

export const contextCommands: readonly Command[] = [list, use, remove];
