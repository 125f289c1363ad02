import { readFile } from 'node:fs/promises';
import type { StartRunOptions } from '@paddock/client';
import {
  AgentSpec,
  ErrorCode,
  isPaddockError,
  PaddockError,
  parseInput,
  parseResource,
  RunMode,
} from '@paddock/core';
import { parse } from 'yaml';
import { type Invocation, OutputFormat, usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { exitCodeForRun, RUN_EXIT_CODES } from '../exit-codes.ts';
import { formatResources } from '../output.ts';
import { followRun } from './run-follow.ts';
import { runColumns } from './run-verbs.ts';

/** An Agent manifest or a bare AgentSpec, from YAML or JSON, used inline by the run. */
export async function readAgentFile(path: string): Promise<AgentSpec> {
  let value: unknown;
  try {
    value = parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { issues: [{ path: '--agent-file', message: `cannot read ${path}` }] },
    );
  }
  try {
    if (typeof value === 'object' && value !== null && 'kind' in value) {
      const resource = parseResource(value);
      if (resource.kind !== 'Agent') {
        throw usageError([{ path: '--agent-file', message: `${resource.kind} is not an Agent` }]);
      }
      return resource.spec;
    }
    return parseInput(AgentSpec, value, 'agent');
  } catch (error) {
    if (!isPaddockError(error)) throw error;
    throw new PaddockError(error.code, `${path}: ${error.message}`, error.details);
  }
}

/** Where the run happens: an existing sandbox, a new one from a template, or the agent's. */
function sandboxOf(flags: Invocation['flags']): StartRunOptions['sandbox'] {
  if (flags.sandbox !== undefined && flags.template !== undefined) {
    throw usageError([
      { path: '--sandbox', message: 'give --sandbox (an existing one) or --template, not both' },
    ]);
  }
  if (flags.sandbox !== undefined) return { name: flags.sandbox };
  if (flags.template === undefined) return undefined;
  const kind = flags.cluster ? 'ClusterSandboxTemplate' : 'SandboxTemplate';
  return { templateRef: { kind, name: flags.template } };
}

async function promptOf(words: string[], io: CommandContext['io']): Promise<string> {
  const prompt = words.length === 1 && words[0] === '-' ? await io.readStdin() : words.join(' ');
  if (prompt.trim() === '') {
    throw usageError([{ path: 'PROMPT', message: 'is required (or - to read it from stdin)' }]);
  }
  return prompt;
}

const exitTable = Object.entries(RUN_EXIT_CODES)
  .map(([phase, code]) => `${phase} ${code}`)
  .join(', ');

export const runCommand: Command = {
  path: ['run'],
  flags: [
    'agent-file',
    'detach',
    'follow',
    'interactive',
    'sandbox',
    'template',
    'cluster',
    'verbose',
  ],
  help: `Usage: paddock run AGENT PROMPT [flags]
       paddock run --agent-file FILE PROMPT [flags]
       paddock run list|get|logs|cancel|send|delete …

Starts a Run of an Agent (by name, or inline from --agent-file: an Agent manifest or a bare
AgentSpec in YAML or JSON) on PROMPT (- reads it from stdin), then follows its transcript
until it ends: the assistant's text as it streams (Markdown on a colour terminal), one line per
tool call and per result, and the outcome with turns, tool calls, tokens and cost. Ctrl-C
cancels the run.

Flags:
  -d, --detach        print the run's name and return at once (follow later: paddock run logs NAME --follow)
  -i, --interactive   an interactive run: after each assistant turn, type the next message;
                      Ctrl-D stops following (the run keeps waiting), Ctrl-C cancels it
  --sandbox NAME      run in an existing sandbox
  --template NAME     run in a new sandbox from this SandboxTemplate (--cluster: a cluster one)
  -v, --verbose       also show each model call, info logs and whole reasoning
  -o json             the transcript as JSON Lines (one stored event per line)

Exit code: the run's outcome (${exitTable}); errors as other commands.

Other verbs: run list, run get NAME, run logs NAME [--follow], run cancel NAME, run send NAME TEXT,
run delete NAME (an Agent named like a verb is reached with --agent-file).

Example:
  paddock run helper "make the tests pass"
  paddock run helper --interactive "let's refactor src/db.ts"
  paddock run --agent-file agent.yaml -d "summarise README.md"
`,
  async run(context) {
    const { args, invocation, settings, client, io } = context;
    const { flags } = invocation;
    if (flags.detach && (flags.follow || flags.interactive)) {
      throw usageError([
        { path: '--detach', message: 'returns at once: drop --follow and --interactive' },
      ]);
    }
    const agentFile = flags['agent-file'];
    const [first, ...others] = args;
    const agent = agentFile === undefined ? first : await readAgentFile(agentFile);
    if (agent === undefined) {
      throw usageError([{ path: 'AGENT', message: 'is required (or --agent-file FILE)' }]);
    }
    const prompt = await promptOf(agentFile === undefined ? others : args, io);
    const sandbox = sandboxOf(flags);
    const run = await client.runs.start({
      namespace: settings.namespace,
      agent,
      prompt,
      ...(flags.interactive && { mode: RunMode.Interactive }),
      ...(sandbox && { sandbox }),
    });
    const name = run.metadata.name ?? '';
    if (flags.detach) {
      if (settings.output === OutputFormat.Table) io.stdout(`run/${name} created\n`);
      else {
        const columns = runColumns(io.now());
        io.stdout(formatResources([run], { format: settings.output, columns, isList: false }));
      }
      return 0;
    }
    if (settings.output !== OutputFormat.Json) io.stderr(`run/${name} created\n`);
    const end = await followRun(context, name, {
      isInteractive: flags.interactive === true,
      isVerbose: flags.verbose === true,
      isCancelledByInterrupt: true,
    });
    switch (end.type) {
      case 'finished':
        return exitCodeForRun(end.phase);
      case 'interrupted':
        return RUN_EXIT_CODES.Cancelled;
      default: {
        const unhandled: never = end;
        throw new Error(`unknown end ${String(unhandled)}`);
      }
    }
  },
};
