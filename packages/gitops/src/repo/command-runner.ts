import { PaddockError } from '@paddock/core';

/** What one external command printed and how it ended. */
export type CommandResult = { stdout: string; stderr: string; exitCode: number };

/** One run of git: its arguments, folder and the variables added to the environment. */
export type GitInvocation = {
  tool: 'git';
  args: readonly string[];
  cwd?: string;
  env?: Readonly<Record<string, string>>;
};

/**
 * The least the repository needs from the runner of external tools: run git (argv, cwd, env) and
 * report its output and exit code whatever the code. The cluster part's runner (`tryRun` of its
 * ToolRunner, which raises the missing-tool error with its install hint) fits as it is.
 */
export type CommandRunner = {
  tryRun(invocation: GitInvocation): Promise<CommandResult>;
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
  const result = await runner.tryRun({
    tool: 'git',
    args: argv,
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
