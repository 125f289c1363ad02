import { PaddockError } from '@paddock/core';

/** What one external command printed and how it ended. */
export type CommandResult = { stdout: string; stderr: string; exitCode: number };

/**
 * The least the repository needs from the runner of external tools: run `argv` (the tool first)
 * in `cwd` with `env` added to the environment, and report its output and exit code. A missing
 * tool is the runner's error to raise; a non-zero exit is returned, not thrown.
 */
export type CommandRunner = {
  run(
    argv: readonly string[],
    options: { cwd?: string; env?: Readonly<Record<string, string>> },
  ): Promise<CommandResult>;
};

/** Who the repository's commits are by, unless the caller says otherwise. */
export const DEFAULT_AUTHOR = { name: 'paddock', email: 'paddock@localhost' } as const;

export type GitAuthor = { name: string; email: string };

/**
 * `git args…` in `dir`, independent of the user's git configuration (identity, signing, hooks,
 * default branch), so commits look the same on every machine. Throws `internal` with git's
 * stderr when git exits non-zero, unless `allowFailure`.
 */
export async function runGit(
  runner: CommandRunner,
  dir: string,
  args: readonly string[],
  options: { author?: GitAuthor; allowFailure?: boolean } = {},
): Promise<CommandResult> {
  const author = options.author ?? DEFAULT_AUTHOR;
  const argv = [
    'git',
    '-c',
    `user.name=${author.name}`,
    '-c',
    `user.email=${author.email}`,
    '-c',
    'commit.gpgsign=false',
    '-c',
    'tag.gpgsign=false',
    '-c',
    'core.hooksPath=/dev/null',
    '-c',
    'core.autocrlf=false',
    '-c',
    'init.defaultBranch=main',
    ...args,
  ];
  const result = await runner.run(argv, {
    cwd: dir,
    env: { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
  });
  if (result.exitCode !== 0 && options.allowFailure !== true) {
    throw new PaddockError(
      'internal',
      `git ${args.join(' ')} failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
      { args: [...args], exitCode: result.exitCode, stderr: result.stderr },
    );
  }
  return result;
}
