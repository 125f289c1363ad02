// The bash completion script (zsh runs it through bashcompinit), generated from the model.
import type { CompletionModel, ValueSpec } from './completion-model.ts';

/** A single-quoted bash word; the model's words are plain, this guards the rest. */
function q(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `action:words` as `_paddock_value` takes it. */
function valueAction(spec: ValueSpec): string {
  switch (spec.kind) {
    case 'choices':
      return q(`choices ${spec.words.join(' ')}`.trimEnd());
    case 'list':
      return q(`list ${spec.argv.join(' ')}`);
    case 'kind-names':
      return q('kind-names');
    case 'files':
      return q('files');
    default: {
      const unhandled: never = spec;
      throw new Error(`unknown value spec ${JSON.stringify(unhandled)}`);
    }
  }
}

function caseTable(name: string, pattern: string, entries: Array<[string, string]>): string {
  const arms = entries.map(([key, value]) => `    ${q(key)}) echo ${value} ;;`).join('\n');
  return `${name}() {\n  case "${pattern}" in\n${arms}\n  esac\n}\n`;
}

export function bashScript(model: CompletionModel): string {
  const argEntries: Array<[string, string]> = model.args.flatMap(({ key, specs, repeatLast }) => [
    ...specs.map((spec, index): [string, string] => [`${key}:${index}`, valueAction(spec)]),
    ...(repeatLast && specs.length > 0
      ? [[`${key}:*`, valueAction(specs.at(-1) as ValueSpec)] as [string, string]]
      : []),
  ]);
  const flagValueEntries: Array<[string, string]> = model.flagValues.map(({ flags, spec }) => [
    flags.join('|'),
    valueAction(spec),
  ]);
  return `# bash completion for paddock, generated from its command table by: paddock completion bash
# Load it with: source <(paddock completion bash)

${caseTable(
  '_paddock_children',
  '$1',
  model.children.map(({ key, words }) => [key, q(words.join(' '))]),
)}
${caseTable(
  '_paddock_flags',
  '$1',
  model.flags.map(({ key, words }) => [key, q(words.join(' '))]),
)}
${caseTable('_paddock_arg', '$1', argEntries).replace(/'([^']*):\*'\)/g, "'$1:'*)")}
_paddock_flag_value() {
  case "$1" in
${flagValueEntries.map(([flags, action]) => `    ${flags}) echo ${action} ;;`).join('\n')}
  esac
}

_paddock_value_flags=${q(` ${model.valueFlags.join(' ')} `)}
_paddock_connection_flags=${q(` ${model.connectionFlags.join(' ')} `)}

# Prints candidates for an action: "choices W…", "list ARGV…", "kind-names" or "files".
_paddock_value() {
  local action=$1 kind=$2 line
  case "$action" in
    choices*) echo "\${action#choices}" ;;
    list\\ *)
      # shellcheck disable=SC2086
      "\${_paddock_prog}" "\${_paddock_conn[@]}" \${action#list } 2>/dev/null | while IFS= read -r line; do echo "\${line#*/}"; done ;;
    kind-names)
      [ -n "$kind" ] && "\${_paddock_prog}" "\${_paddock_conn[@]}" get "$kind" -o name 2>/dev/null | while IFS= read -r line; do echo "\${line#*/}"; done ;;
  esac
}

_paddock() {
  local cur=\${COMP_WORDS[COMP_CWORD]} key='' nargs=0 kind='' pending='' i w
  local -a _paddock_conn=()
  _paddock_prog=\${COMP_WORDS[0]}
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [ -n "$pending" ]; then
      [[ $_paddock_connection_flags == *" $pending "* ]] && _paddock_conn+=("$pending" "$w")
      pending=''
      continue
    fi
    case "$w" in
      --) return 0 ;;
      --*=*) continue ;;
      -*)
        [[ $_paddock_value_flags == *" $w "* ]] && pending=$w
        continue ;;
    esac
    if [ "$nargs" -eq 0 ] && [[ " $(_paddock_children "$key") " == *" $w "* ]]; then
      key=\${key:+$key }$w
    else
      [ "$nargs" -eq 0 ] && kind=$w
      nargs=$((nargs + 1))
    fi
  done
  local action
  if [ -n "$pending" ]; then
    action=$(_paddock_flag_value "$pending")
  elif [[ $cur == -* ]]; then
    action="choices $(_paddock_flags "$key")"
    [ "$action" = "choices " ] && action="choices --help"
  elif [ "$nargs" -eq 0 ] && [ -n "$(_paddock_children "$key")" ]; then
    action="choices $(_paddock_children "$key")"
  else
    action=$(_paddock_arg "$key:$nargs")
  fi
  case "$action" in
    '') return 0 ;;
    files) COMPREPLY=($(compgen -f -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(_paddock_value "$action" "$kind")" -- "$cur")) ;;
  esac
}

complete -F _paddock paddock
`;
}
