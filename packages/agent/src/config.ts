/**
 * The harness's configuration, resolved once at start: flag > environment > config file
 * (`--config FILE`, JSON) > default, validated by one zod schema. A bad value fails with
 * `validation_failed` naming every bad field (`budget.maxTurns: …`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  Budget,
  ErrorCode,
  type FieldIssue,
  fieldIssues,
  McpServer,
  PaddockError,
  PriceTable,
  Provider,
} from '@paddock/core';
import { z } from 'zod';
import { checkAllowlist } from './tool-allowlist.ts';

export const HarnessMode = { Task: 'task', Interactive: 'interactive', Daemon: 'daemon' } as const;
export type HarnessMode = (typeof HarnessMode)[keyof typeof HarnessMode];

/** `host:port` for the daemon's HTTP endpoint (port 0 picks a free one). */
const ListenAddress = z
  .string()
  .regex(/^(?:\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:7070');

const HarnessConfigFields = z.strictObject({
  provider: z.enum([Provider.Anthropic, Provider.OpenAI]),
  model: z.string().min(1),
  /** The API's base URL; the SDK's default when absent (inside Paddock: the gateway). */
  baseUrl: z.url().optional(),
  /** From `ANTHROPIC_API_KEY` / `OPENAI_API_KEY` only (inside Paddock a per-run gateway token). */
  apiKey: z.string().min(1, 'is required: set ANTHROPIC_API_KEY or OPENAI_API_KEY'),
  systemPrompt: z.string().optional(),
  /** Tool allowlist: built-in names, `mcp__<server>__<tool>`, or prefixes ending in `*`. */
  tools: z.array(z.string().min(1)).optional(),
  mcpServers: z.array(McpServer).default([]),
  /**
   * Paddock's read-only MCP server, connected as `paddock` (from `PADDOCK_MCP_URL` and
   * `PADDOCK_MCP_TOKEN` only, which Paddock sets for runs whose template opts in).
   */
  paddockMcp: z.strictObject({ url: z.url(), token: z.string().min(1) }).optional(),
  budget: Budget.default({}),
  /** The price table `maxUsd` and the running cost use; the core default when absent. */
  prices: PriceTable.optional(),
  mode: z.enum([HarnessMode.Task, HarnessMode.Interactive, HarnessMode.Daemon]).default('task'),
  /** The first user message; required in task mode. */
  prompt: z.string().min(1).optional(),
  /**
   * Interactive mode: read user messages from this directory (one `<name>.json` file each, in
   * name order) instead of stdin.
   */
  inbox: z.string().min(1).optional(),
  /** Where tools run and relative paths resolve. */
  cwd: z.string().min(1),
  /** Let file tools reach paths outside `cwd` (the sandbox still confines them). */
  allowOutsideCwd: z.boolean().default(false),
  /** `max_tokens` of each model call. */
  maxOutputTokens: z.int().positive().default(8192),
  /** A tool output longer than this is cut in the middle for the model. */
  maxToolOutputChars: z.int().positive().default(30_000),
  retry: z
    .strictObject({
      /** Retries of a model call on 429, 5xx and connection errors (backoff honours `retry-after`). */
      maxRetries: z.int().nonnegative().max(20).default(4),
      /** Time limit of one model request, in milliseconds. */
      requestTimeoutMs: z.int().positive().default(600_000),
    })
    .default({ maxRetries: 4, requestTimeoutMs: 600_000 }),
  /** Daemon mode: where to listen. */
  listen: ListenAddress.optional(),
  /** Daemon mode: the bearer token clients must send (from `PADDOCK_AGENT_TOKEN` only). */
  daemonToken: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** What a mode needs beyond the fields: a prompt for a task, an address and a token for a daemon. */
function modeIssues(config: {
  mode?: unknown;
  prompt?: unknown;
  listen?: unknown;
  daemonToken?: unknown;
}): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const mode = config.mode ?? HarnessMode.Task;
  if (mode === HarnessMode.Task && config.prompt === undefined) {
    issues.push({
      path: 'prompt',
      message: 'is required in task mode (--prompt or the config file)',
    });
  }
  if (mode === HarnessMode.Daemon) {
    if (config.listen === undefined)
      issues.push({ path: 'listen', message: 'is required in daemon mode (--listen HOST:PORT)' });
    if (config.daemonToken === undefined)
      issues.push({
        path: 'daemonToken',
        message: 'is required in daemon mode: set PADDOCK_AGENT_TOKEN',
      });
  }
  return issues;
}

export const HarnessConfig = HarnessConfigFields.superRefine((config, ctx) => {
  for (const issue of modeIssues(config)) {
    ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
  }
});
export type HarnessConfig = z.infer<typeof HarnessConfig>;

const FLAGS = {
  config: { type: 'string' },
  provider: { type: 'string' },
  model: { type: 'string' },
  'base-url': { type: 'string' },
  'system-prompt': { type: 'string' },
  tools: { type: 'string' },
  mode: { type: 'string' },
  prompt: { type: 'string' },
  cwd: { type: 'string' },
  'allow-outside-cwd': { type: 'boolean' },
  'max-output-tokens': { type: 'string' },
  'max-retries': { type: 'string' },
  'max-turns': { type: 'string' },
  'max-tokens': { type: 'string' },
  'max-usd': { type: 'string' },
  timeout: { type: 'string' },
  listen: { type: 'string' },
  inbox: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export const USAGE = `usage: paddock-agent [--config FILE] [--provider anthropic|openai] [--model ID] [--prompt TEXT]
  [--mode task|interactive|daemon] [--inbox DIR] [--listen HOST:PORT] [--cwd DIR] [--base-url URL]
  [--system-prompt TEXT] [--tools bash,read_file,mcp__srv__*] [--allow-outside-cwd]
  [--max-turns N] [--max-tokens N] [--max-usd USD] [--timeout 10m]
  [--max-output-tokens N] [--max-retries N]
env: ANTHROPIC_API_KEY / OPENAI_API_KEY, ANTHROPIC_BASE_URL / OPENAI_BASE_URL, PADDOCK_AGENT_TOKEN (daemon),
  PADDOCK_MCP_URL and PADDOCK_MCP_TOKEN (Paddock's read-only MCP server, connected as "paddock")`;

function invalid(message: string, path: string): PaddockError {
  return new PaddockError(
    ErrorCode.ValidationFailed,
    `invalid harness config: ${path}: ${message}`,
    {
      issues: [{ path, message }],
    },
  );
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid(
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      'config',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(`${path} is not JSON`, 'config');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${path} must hold a JSON object`, 'config');
  }
  return { ...value };
}

/** A number flag as written; NaN stays NaN so the schema names the field. */
function numberFlag(value: string | undefined): number | undefined {
  return value === undefined ? undefined : value.trim() === '' ? Number.NaN : Number(value);
}

function definedOnly(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

function objectAt(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = record[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
}

/** Paddock's MCP server when `PADDOCK_MCP_URL` is set (its token is required then). */
function paddockMcpOf(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const url = env.PADDOCK_MCP_URL;
  if (url === undefined || url === '') return undefined;
  return { url, token: env.PADDOCK_MCP_TOKEN ?? '' };
}

export type ParsedCommandLine = { isHelp: true } | { isHelp: false; config: HarnessConfig };

/**
 * Resolves the configuration from argv (without node and script) and the environment. Throws
 * `validation_failed` naming each bad field.
 */
export function resolveConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  let flags: ReturnType<typeof parseArgs<{ options: typeof FLAGS; strict: true }>>['values'];
  try {
    flags = parseArgs({
      args: [...argv],
      options: FLAGS,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error), 'argv');
  }
  if (flags.help) return { isHelp: true };
  const file = flags.config !== undefined ? readConfigFile(flags.config) : {};
  const provider = flags.provider ?? file.provider;
  const keyVar = provider === Provider.OpenAI ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
  const urlVar = provider === Provider.OpenAI ? 'OPENAI_BASE_URL' : 'ANTHROPIC_BASE_URL';
  for (const secret of ['apiKey', 'daemonToken', 'paddockMcp']) {
    if (secret in file)
      throw invalid('must come from the environment, not the config file', secret);
  }
  const merged: Record<string, unknown> = {
    ...file,
    ...definedOnly({
      provider,
      model: flags.model,
      baseUrl: flags['base-url'] ?? env[urlVar] ?? file.baseUrl,
      apiKey: env[keyVar] ?? '',
      systemPrompt: flags['system-prompt'],
      tools: flags.tools
        ?.split(',')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
      mode: flags.mode,
      prompt: flags.prompt,
      cwd: flags.cwd ?? file.cwd ?? (existsSync('/workspace') ? '/workspace' : process.cwd()),
      allowOutsideCwd: flags['allow-outside-cwd'],
      maxOutputTokens: numberFlag(flags['max-output-tokens']),
      listen: flags.listen,
      inbox: flags.inbox,
      daemonToken: env.PADDOCK_AGENT_TOKEN,
      paddockMcp: paddockMcpOf(env),
    }),
    budget: {
      ...objectAt(file, 'budget'),
      ...definedOnly({
        maxTurns: numberFlag(flags['max-turns']),
        maxTokens: numberFlag(flags['max-tokens']),
        maxUsd: numberFlag(flags['max-usd']),
        timeout: flags.timeout,
      }),
    },
    retry: {
      ...objectAt(file, 'retry'),
      ...definedOnly({ maxRetries: numberFlag(flags['max-retries']) }),
    },
  };
  const result = HarnessConfig.safeParse(merged);
  if (!result.success) {
    // The mode's needs are checked on the raw values too, so every problem is listed at once.
    const issues = fieldIssues(result.error);
    for (const issue of modeIssues(merged)) {
      if (!issues.some((known) => known.path === issue.path)) issues.push(issue);
    }
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid harness config: ${summary}`, {
      issues,
    });
  }
  const config = result.data;
  checkAllowlist(config.tools);
  return { isHelp: false, config };
}
