/**
 * What `paddock-agent wrap` starts for each kind: the program, its arguments and the environment
 * it adds to the wrapper's own (which already holds the gateway's URLs and the run's token). Every
 * CLI gets its prompt on stdin, so a prompt is never limited by the size of an argument, never
 * read as a flag, and never visible in the process list.
 */
import { fileURLToPath } from 'node:url';
import { HarnessKind } from '@paddock/core';
import type { WrapArgs } from './wrap-args.ts';

export type CliLaunch = {
  command: string;
  args: string[];
  /** Added to the wrapper's environment. */
  env: Record<string, string>;
  /** Written to the CLI's stdin, which is then closed (none: stdin is empty). */
  stdin?: string;
};

/** Where the pinned Claude Code package's entry point is (a dependency of this package). */
export function claudeCodeCli(): string {
  return fileURLToPath(import.meta.resolve('@anthropic-ai/claude-code/cli.js'));
}

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
 * The launch of `args.kind`. `env` is the wrapper's environment (read for the gateway's URLs).
 */
export function cliLaunch(
  args: WrapArgs,
  prompt: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): CliLaunch {
  const model = args.model;
  switch (args.kind) {
    case HarnessKind.ClaudeCode:
      return {
        command: process.execPath,
        args: [
          claudeCodeCli(),
          '-p',
          '--output-format',
          'stream-json',
          '--verbose',
          '--dangerously-skip-permissions',
          ...(model === undefined ? [] : ['--model', model]),
          ...(args.systemPrompt === undefined ? [] : ['--append-system-prompt', args.systemPrompt]),
          ...(args.maxTurns === undefined ? [] : ['--max-turns', String(args.maxTurns)]),
          ...(args.tools === undefined ? [] : ['--tools', args.tools.join(',')]),
          ...args.extraArgs,
        ],
        env: CLAUDE_CODE_ENV,
        stdin: prompt ?? '',
      };
    case HarnessKind.Codex:
      return {
        command: 'codex',
        args: [
          'exec',
          '--json',
          '--skip-git-repo-check',
          // The Paddock sandbox is the boundary; Codex's own sandbox cannot nest inside it.
          '--dangerously-bypass-approvals-and-sandbox',
          ...(model === undefined ? [] : ['--model', model]),
          ...args.extraArgs,
          '-',
        ],
        env: {},
        stdin: prompt ?? '',
      };
    case HarnessKind.OpenCode: {
      const baseUrl = env.ANTHROPIC_BASE_URL;
      const config = {
        autoupdate: false,
        share: 'disabled',
        ...(baseUrl === undefined
          ? {}
          : { provider: { anthropic: { options: { baseURL: `${baseUrl}/v1` } } } }),
      };
      return {
        command: 'opencode',
        args: [
          'run',
          '--format',
          'json',
          ...(model === undefined
            ? []
            : ['--model', model.includes('/') ? model : `anthropic/${model}`]),
          ...args.extraArgs,
        ],
        env: { OPENCODE_CONFIG_CONTENT: JSON.stringify(config) },
        stdin: prompt ?? '',
      };
    }
    case HarnessKind.Command: {
      const [command = '', ...rest] = args.extraArgs;
      return {
        command,
        args: rest,
        env: prompt === undefined ? {} : { PADDOCK_PROMPT: prompt },
      };
    }
  }
}
