import { ErrorCode, PaddockError } from '@paddock/core';
import type { Command } from '../command.ts';
import { bashScript } from '../completion/bash-script.ts';
import { completionModel } from '../completion/completion-model.ts';
import { fishScript } from '../completion/fish-script.ts';
import { zshScript } from '../completion/zsh-script.ts';

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

function isShell(word: string | undefined): word is keyof typeof SHELLS {
  return word !== undefined && Object.hasOwn(SHELLS, word);
}

/** `paddock completion SHELL`, over the command table main passes (so new commands complete). */
export function completionCommand(commands: () => readonly Command[]): Command {
  return {
    path: ['completion'],
    flags: [],
    help: `Usage: paddock completion bash|zsh|fish

Prints a shell completion script, generated from paddock's own command table: it completes
commands, flags, -o values, and names of sandboxes, contexts and other resources (asking the server
at completion time, with the --server/--context/-n given on the line).

Example:
  source <(paddock completion bash)          # in ~/.bashrc
  source <(paddock completion zsh)           # in ~/.zshrc
  paddock completion fish | source           # in ~/.config/fish/config.fish
`,
    async run({ args, io }) {
      const [shell, ...extra] = args;
      if (!isShell(shell) || extra.length > 0) {
        throw new PaddockError(
          ErrorCode.ValidationFailed,
          'usage: paddock completion bash|zsh|fish',
          {
            issues: [{ path: 'SHELL', message: 'must be bash, zsh or fish' }],
          },
        );
      }
      io.stdout(SHELLS[shell](completionModel(commands())));
      return 0;
    },
  };
}
