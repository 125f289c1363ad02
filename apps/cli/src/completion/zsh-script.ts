// The zsh completion script: the bash one, run through zsh's bashcompinit.
import { bashScript } from './bash-script.ts';
import type { CompletionModel } from './completion-model.ts';

export function zshScript(model: CompletionModel): string {
  return `#compdef paddock
# zsh completion for paddock, generated from its command table by: paddock completion zsh
# Load it with: source <(paddock completion zsh)
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }
autoload -U +X bashcompinit && bashcompinit

${bashScript(model)}`;
}
