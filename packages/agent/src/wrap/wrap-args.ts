/**
 * The flags of `paddock-agent wrap`: which CLI, the prompt (inline or from a file), the model, and
 * extra arguments for the CLI after `--` (for `command`, the whole argv). Validated with zod; a bad
 * invocation throws `validation_failed` naming every problem.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ErrorCode, HarnessKind, PaddockError, Provider, parseInput } from '@paddock/core';
import { z } from 'zod';

export const WRAP_USAGE = `usage: paddock-agent wrap KIND [--prompt TEXT | --prompt-file FILE] [--model MODEL]
  [--provider anthropic|openai] [--system-prompt-file FILE] [--max-turns N] [--tools A,B]
  [--inbox DIR] [-- ARGS...]
  KIND   claude-code | codex | opencode | command
  DIR    an interactive run's inbox: later user messages, one JSON file each
  ARGS   extra arguments for the CLI; for "command", the command and its arguments`;

export const WrapKind = z.enum([
  HarnessKind.ClaudeCode,
  HarnessKind.Codex,
  HarnessKind.OpenCode,
  HarnessKind.Command,
]);
export type WrapKind = z.infer<typeof WrapKind>;

export const WrapArgs = z
  .strictObject({
    kind: WrapKind,
    prompt: z.string().optional(),
    promptFile: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    /** The provider of a model named without one (OpenCode's `provider/model`). */
    provider: z.enum([Provider.Anthropic, Provider.OpenAI]).optional(),
    /** Appended to the CLI's own system prompt (Claude Code); read into `systemPrompt`. */
    systemPromptFile: z.string().min(1).optional(),
    systemPrompt: z.string().optional(),
    /** The CLI's own turn limit (Claude Code). */
    maxTurns: z.coerce.number().int().positive().optional(),
    /** The only tools the CLI offers its model, by its own names (Claude Code's --tools). */
    tools: z.array(z.string().min(1)).optional(),
    /** An interactive run's inbox directory (see inbox-messages.ts); a task run has none. */
    inbox: z.string().min(1).optional(),
    extraArgs: z.array(z.string()),
  })
  .refine((args) => args.prompt === undefined || args.promptFile === undefined, {
    message: 'give --prompt or --prompt-file, not both',
    path: ['prompt'],
  })
  .refine(
    (args) =>
      args.kind === HarnessKind.Command ||
      args.prompt !== undefined ||
      args.promptFile !== undefined,
    { message: 'a prompt is required (--prompt or --prompt-file)', path: ['prompt'] },
  )
  .refine((args) => args.kind !== HarnessKind.Command || args.extraArgs.length > 0, {
    message: 'the command to run goes after --',
    path: ['extraArgs'],
  });
export type WrapArgs = z.infer<typeof WrapArgs>;

/** Parses `argv` (what follows `wrap`). Throws `validation_failed`. */
export function parseWrapArgs(argv: readonly string[]): WrapArgs {
  const separator = argv.indexOf('--');
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const extraArgs = separator === -1 ? [] : argv.slice(separator + 1);
  let parsed: ReturnType<typeof parseOwn>;
  try {
    parsed = parseOwn(own);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid wrap arguments: ${message}`, {
      issues: [{ path: '(root)', message }],
    });
  }
  if (parsed.positionals.length !== 1) {
    const message = `expected one KIND, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`;
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid wrap arguments: ${message}`, {
      issues: [{ path: 'kind', message }],
    });
  }
  const { prompt, model, provider, tools, inbox } = parsed.values;
  const systemPromptFile = parsed.values['system-prompt-file'];
  const maxTurns = parsed.values['max-turns'];
  return parseInput(
    WrapArgs,
    {
      kind: parsed.positionals[0],
      ...(prompt === undefined ? {} : { prompt }),
      ...(parsed.values['prompt-file'] === undefined
        ? {}
        : { promptFile: parsed.values['prompt-file'] }),
      ...(model === undefined ? {} : { model }),
      ...(provider === undefined ? {} : { provider }),
      ...(inbox === undefined ? {} : { inbox }),
      ...(systemPromptFile === undefined ? {} : { systemPromptFile }),
      ...(maxTurns === undefined ? {} : { maxTurns }),
      ...(tools === undefined ? {} : { tools: tools.split(',').map((t) => t.trim()) }),
      extraArgs,
    },
    'wrap arguments',
  );
}

function parseOwn(own: readonly string[]) {
  return parseArgs({
    args: [...own],
    allowPositionals: true,
    strict: true,
    options: {
      prompt: { type: 'string' },
      'prompt-file': { type: 'string' },
      model: { type: 'string' },
      provider: { type: 'string' },
      inbox: { type: 'string' },
      'system-prompt-file': { type: 'string' },
      'max-turns': { type: 'string' },
      tools: { type: 'string' },
    },
  });
}

/** The system prompt to append, from its file (`not_found` when the file is missing). */
export async function readSystemPrompt(args: WrapArgs): Promise<string | undefined> {
  if (args.systemPromptFile === undefined) return undefined;
  try {
    return await readFile(args.systemPromptFile, 'utf8');
  } catch (error) {
    throw new PaddockError(
      ErrorCode.NotFound,
      `cannot read the system prompt file ${args.systemPromptFile}: ${error instanceof Error ? error.message : String(error)}`,
      { path: args.systemPromptFile },
    );
  }
}

/** The prompt text: inline, or read from its file (`not_found` when the file is missing). */
export async function readPrompt(args: WrapArgs): Promise<string | undefined> {
  if (args.promptFile === undefined) return args.prompt;
  try {
    return await readFile(args.promptFile, 'utf8');
  } catch (error) {
    throw new PaddockError(
      ErrorCode.NotFound,
      `cannot read the prompt file ${args.promptFile}: ${error instanceof Error ? error.message : String(error)}`,
      { path: args.promptFile },
    );
  }
}
