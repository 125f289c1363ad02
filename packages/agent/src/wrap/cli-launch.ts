/**
 * What `paddock-agent wrap` starts for each kind: the program, its arguments and the environment
 * it adds to the wrapper's own (which already holds the gateway's URLs and the run's token). Every
 * CLI gets its prompt on stdin, so a prompt is never limited by the size of an argument, never
 * read as a flag, and never visible in the process list. An interactive Claude Code run keeps its
 * stdin open for stream-json user messages (see wrap-input.ts); Codex and OpenCode take each later
 * message in a process of its own that resumes their session (see wrap-resume.ts).
 */
import { HarnessKind, Provider } from '@paddock/core';
import { locateCli, type MissingCli } from './cli-path.ts';
import type { WrapArgs } from './wrap-args.ts';

export type CliLaunch = {
  command: string;
  args: string[];
  /** Added to the wrapper's environment. */
  env: Record<string, string>;
  /**
   * Written to the CLI's stdin, which is then closed (none: stdin is empty), unless
   * `isStreamingInput`: then stdin stays open for the run's later messages.
   */
  stdin?: string;
  isStreamingInput?: boolean;
};

/** Quiet, unattended Claude Code: no telemetry, no update checks, no permission prompts. */
export const CLAUDE_CODE_ENV: Record<string, string> = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  // Claude Code refuses --dangerously-skip-permissions as root unless told it is in a sandbox,
  // which it is: the sandbox is the permission boundary.
  IS_SANDBOX: '1',
};

/**
 * Unattended OpenCode in a sandbox: nothing fetched from the internet (its model catalogue, default
 * plugins, language servers, updates), which a sandbox's egress would refuse after a wait.
 */
export const OPENCODE_ENV: Record<string, string> = {
  OPENCODE_DISABLE_AUTOUPDATE: '1',
  OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
  OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
  OPENCODE_DISABLE_MODELS_FETCH: '1',
  OPENCODE_DISABLE_SHARE: '1',
  OPENCODE_PURE: '1',
};

/** The name Codex knows the gateway by (a `model_providers` entry given with `-c`). */
const CODEX_PROVIDER = 'paddock';

/** One stream-json user message for Claude Code's stdin (`--input-format stream-json`). */
export function claudeCodeUserLine(text: string): string {
  const message = { role: 'user', content: [{ type: 'text', text }] };
  return `${JSON.stringify({ type: 'user', message })}\n`;
}

/** A TOML string for Codex's `-c key=value` (a JSON string is a valid TOML basic string). */
function toml(value: string): string {
  return JSON.stringify(value);
}

/**
 * Codex pointed at the gateway: a Responses API provider at `OPENAI_BASE_URL`, keyed by the token.
 * Codex retries a turn whose request got a status it does not know (the gateway's 402 over budget
 * among them) as a broken stream, five times; a refusal over budget is final, so the provider has
 * no stream retries. Codex still retries a request answered with a 5xx (`request_max_retries`, 4
 * by default); a stream that breaks half way fails the turn.
 */
function codexProvider(baseUrl: string | undefined): string[] {
  if (baseUrl === undefined) return [];
  const key = `model_providers.${CODEX_PROVIDER}`;
  return [
    ['model_provider', toml(CODEX_PROVIDER)],
    [`${key}.name`, toml('Paddock gateway')],
    [`${key}.base_url`, toml(baseUrl)],
    [`${key}.env_key`, toml('OPENAI_API_KEY')],
    [`${key}.wire_api`, toml('responses')],
    [`${key}.stream_max_retries`, '0'],
  ].flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

/** OpenCode's config: both providers pointed at the gateway, no updates, no sharing. */
function openCodeConfig(
  args: WrapArgs,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> {
  const anthropic = env.ANTHROPIC_BASE_URL;
  const openai = env.OPENAI_BASE_URL;
  return {
    autoupdate: false,
    share: 'disabled',
    provider: {
      ...(anthropic === undefined
        ? {}
        : { anthropic: { options: { baseURL: `${anthropic}/v1` } } }),
      ...(openai === undefined ? {} : { openai: { options: { baseURL: openai } } }),
    },
    ...(args.systemPromptFile === undefined ? {} : { instructions: [args.systemPromptFile] }),
  };
}

/**
 * The launch of `args.kind`, or why its CLI cannot start (not installed). `env` is the wrapper's
 * environment (read for the gateway's URLs and the CLI overrides). With `resume`, Codex and
 * OpenCode continue that session of theirs with `prompt` as the next user message.
 */
export function cliLaunch(
  args: WrapArgs,
  prompt: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  resume?: string,
): CliLaunch | MissingCli {
  const model = args.model;
  if (args.kind === HarnessKind.Command) {
    const [command = '', ...rest] = args.extraArgs;
    const env = {
      ...(prompt === undefined ? {} : { PADDOCK_PROMPT: prompt }),
      ...(args.inbox === undefined ? {} : { PADDOCK_INBOX: args.inbox }),
    };
    return { command, args: rest, env };
  }
  const cli = locateCli(args.kind, env);
  if ('reason' in cli) return cli;
  const program = (cliArgs: string[]) =>
    cli.isNodeScript
      ? { command: process.execPath, args: [cli.path, ...cliArgs] }
      : { command: cli.path, args: cliArgs };
  switch (args.kind) {
    case HarnessKind.ClaudeCode: {
      const isInteractive = args.inbox !== undefined;
      return {
        ...program([
          '-p',
          ...(isInteractive ? ['--input-format', 'stream-json'] : []),
          '--output-format',
          'stream-json',
          '--verbose',
          '--dangerously-skip-permissions',
          ...(model === undefined ? [] : ['--model', model]),
          ...(args.systemPrompt === undefined ? [] : ['--append-system-prompt', args.systemPrompt]),
          ...(args.maxTurns === undefined ? [] : ['--max-turns', String(args.maxTurns)]),
          ...(args.tools === undefined ? [] : ['--tools', args.tools.join(',')]),
          ...args.extraArgs,
        ]),
        env: CLAUDE_CODE_ENV,
        ...(isInteractive
          ? { stdin: claudeCodeUserLine(prompt ?? ''), isStreamingInput: true }
          : { stdin: prompt ?? '' }),
      };
    }
    case HarnessKind.Codex:
      return {
        ...program([
          'exec',
          '--json',
          '--skip-git-repo-check',
          // The Paddock sandbox is the boundary; Codex's own sandbox cannot nest inside it.
          '--dangerously-bypass-approvals-and-sandbox',
          ...codexProvider(env.OPENAI_BASE_URL),
          ...(args.systemPrompt === undefined
            ? []
            : ['-c', `developer_instructions=${toml(args.systemPrompt)}`]),
          ...(model === undefined ? [] : ['--model', model]),
          ...args.extraArgs,
          ...(resume === undefined ? [] : ['resume', resume]),
          '-',
        ]),
        env: {},
        stdin: prompt ?? '',
      };
    case HarnessKind.OpenCode: {
      const provider = args.provider ?? Provider.Anthropic;
      return {
        ...program([
          'run',
          '--format',
          'json',
          ...(model === undefined
            ? []
            : ['--model', model.includes('/') ? model : `${provider}/${model}`]),
          ...(resume === undefined ? [] : ['--session', resume]),
          ...args.extraArgs,
        ]),
        env: {
          ...OPENCODE_ENV,
          OPENCODE_CONFIG_CONTENT: JSON.stringify(openCodeConfig(args, env)),
        },
        stdin: prompt ?? '',
      };
    }
  }
}
