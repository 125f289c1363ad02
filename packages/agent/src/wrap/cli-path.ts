/**
 * Where each external agent CLI's program is. By default the pinned npm package this package
 * depends on: Claude Code's `cli.js` (run with this Node.js); Codex's and OpenCode's native binary,
 * found directly in their platform package (`@openai/codex-linux-x64`, `opencode-linux-x64`, …),
 * so neither launcher nor install script is needed. `PADDOCK_CLAUDE_CODE_BIN`, `PADDOCK_CODEX_BIN`
 * and `PADDOCK_OPENCODE_BIN` name another executable instead (a build baked into a sandbox
 * image). A CLI that is not there is a {@link MissingCli} naming what was looked for.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HarnessKind } from '@paddock/core';

export type ExternalCli =
  | typeof HarnessKind.ClaudeCode
  | typeof HarnessKind.Codex
  | typeof HarnessKind.OpenCode;

/** The environment variable naming another executable for each CLI. */
export const CLI_OVERRIDE_ENV: Record<ExternalCli, string> = {
  'claude-code': 'PADDOCK_CLAUDE_CODE_BIN',
  codex: 'PADDOCK_CODEX_BIN',
  opencode: 'PADDOCK_OPENCODE_BIN',
};

/** The npm package each CLI comes from by default. */
export const CLI_PACKAGE: Record<ExternalCli, string> = {
  'claude-code': '@anthropic-ai/claude-code',
  codex: '@openai/codex',
  opencode: 'opencode-ai',
};

/** A CLI found: run `path` (with Node.js when `isNodeScript`). */
export type FoundCli = { path: string; isNodeScript: boolean };
/** A CLI not found: `reason` says what was looked for, for the run's message. */
export type MissingCli = { reason: string };

const CODEX_TARGETS: Record<string, { pkg: string; triple: string }> = {
  'linux-x64': { pkg: '@openai/codex-linux-x64', triple: 'x86_64-unknown-linux-musl' },
  'linux-arm64': { pkg: '@openai/codex-linux-arm64', triple: 'aarch64-unknown-linux-musl' },
  'darwin-x64': { pkg: '@openai/codex-darwin-x64', triple: 'x86_64-apple-darwin' },
  'darwin-arm64': { pkg: '@openai/codex-darwin-arm64', triple: 'aarch64-apple-darwin' },
};

function hasAvx2(): boolean {
  try {
    return /(^|\s)avx2(\s|$)/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** OpenCode's platform packages in the order its own install script prefers them. */
function opencodePackages(): string[] {
  const base = `opencode-${process.platform}-${process.arch}`;
  if (process.arch !== 'x64') return [base];
  const baseline = `${base}-baseline`;
  return process.platform === 'linux' && !hasAvx2() ? [baseline, base] : [base, baseline];
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A package's directory, resolved from `from` (a file URL); undefined when not installed. */
function packageDir(name: string, from: string): string | undefined {
  try {
    return dirname(createRequire(from).resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

function notInstalled(cli: ExternalCli, detail: string): MissingCli {
  return {
    reason: `the ${cli} CLI is not installed: ${detail} (it comes with the harness from ${CLI_PACKAGE[cli]}; a cluster copies it only when the controller's --harness-clis lists ${cli}; ${CLI_OVERRIDE_ENV[cli]} may name another build)`,
  };
}

/** Where `cli` is, given the wrapper's environment (read for the override). */
export function locateCli(
  cli: ExternalCli,
  env: Readonly<Record<string, string | undefined>>,
): FoundCli | MissingCli {
  const override = env[CLI_OVERRIDE_ENV[cli]];
  if (override !== undefined && override !== '') {
    return isExecutable(override)
      ? { path: override, isNodeScript: false }
      : {
          reason: `the ${cli} CLI is not installed: ${CLI_OVERRIDE_ENV[cli]} names ${override}, which is not an executable file`,
        };
  }
  const main = packageDir(CLI_PACKAGE[cli], import.meta.url);
  if (main === undefined) return notInstalled(cli, `the package ${CLI_PACKAGE[cli]} is missing`);
  switch (cli) {
    case HarnessKind.ClaudeCode: {
      const path = join(main, 'cli.js');
      return isReadable(path)
        ? { path, isNodeScript: true }
        : notInstalled(cli, `${path} is missing`);
    }
    case HarnessKind.Codex: {
      const target = CODEX_TARGETS[`${process.platform}-${process.arch}`];
      if (target === undefined) {
        return notInstalled(cli, `no build for ${process.platform}-${process.arch}`);
      }
      const dir = packageDir(target.pkg, join(main, 'package.json'));
      const path = dir && join(dir, 'vendor', target.triple, 'bin', 'codex');
      return path !== undefined && isExecutable(path)
        ? { path, isNodeScript: false }
        : notInstalled(cli, `its platform package ${target.pkg} has no codex binary`);
    }
    case HarnessKind.OpenCode: {
      const names = opencodePackages();
      for (const name of names) {
        const dir = packageDir(name, join(main, 'package.json'));
        const path = dir && join(dir, 'bin', 'opencode');
        if (path !== undefined && isExecutable(path)) return { path, isNodeScript: false };
      }
      return notInstalled(cli, `none of its platform packages (${names.join(', ')}) is there`);
    }
  }
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
