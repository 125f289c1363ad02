// The fish completion script, generated from the model: one function computes the candidates.
import type { CompletionModel, ValueSpec } from './completion-model.ts';

/** A single-quoted fish word (fish honours `\\` and `\'` inside single quotes). */
function q(word: string): string {
  return `'${word.replace(/[\\']/g, '\\$&')}'`;
}

function action(spec: ValueSpec): string {
  switch (spec.kind) {
    case 'choices':
      return ['choices', ...spec.words].map(q).join(' ');
    case 'list':
      return ['list', ...spec.argv].map(q).join(' ');
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

function switchTable(name: string, entries: Array<[string[], string]>): string {
  const arms = entries
    .map(([keys, value]) => `    case ${keys.map(q).join(' ')}\n      printf '%s\\n' ${value}`)
    .join('\n');
  return `function ${name}\n  switch "$argv[1]"\n${arms}\n  end\nend\n`;
}

export function fishScript(model: CompletionModel): string {
  const words = (list: string[]) => list.map(q).join(' ');
  const argEntries: Array<[string[], string]> = model.args.flatMap(({ key, specs, repeatLast }) => [
    ...specs.map((spec, index): [string[], string] => [[`${key}:${index}`], action(spec)]),
    ...(repeatLast && specs.length > 0
      ? [[[`${key}:*`], action(specs.at(-1) as ValueSpec)] as [string[], string]]
      : []),
  ]);
  return `# fish completion for paddock, generated from its command table by: paddock completion fish
# Load it with: paddock completion fish | source

${switchTable(
  '__paddock_children',
  model.children.map(({ key, words: w }) => [[key], words(w)]),
)}
${switchTable(
  '__paddock_flags',
  model.flags.map(({ key, words: w }) => [[key], words(w)]),
)}
${switchTable('__paddock_arg', argEntries)}
${switchTable(
  '__paddock_flag_value',
  model.flagValues.map(({ flags, spec }) => [flags, action(spec)]),
)}
set -g __paddock_value_flags ${words(model.valueFlags)}
set -g __paddock_connection_flags ${words(model.connectionFlags)}

function __paddock_complete
  set -l tokens (commandline -opc)
  set -l prog $tokens[1]
  set -l key ''
  set -l nargs 0
  set -l kind ''
  set -l pending ''
  set -l conn
  for w in $tokens[2..-1]
    if test -n "$pending"
      contains -- $pending $__paddock_connection_flags; and set conn $conn $pending $w
      set pending ''
      continue
    end
    switch $w
      case '--'
        return
      case '--*=*'
        continue
      case '-*'
        contains -- $w $__paddock_value_flags; and set pending $w
        continue
    end
    if test $nargs -eq 0; and contains -- $w (__paddock_children "$key")
      set key (string trim -- "$key $w")
    else
      test $nargs -eq 0; and set kind $w
      set nargs (math $nargs + 1)
    end
  end
  set -l cur (commandline -ct)
  set -l action
  if test -n "$pending"
    set action (__paddock_flag_value $pending)
  else if string match -q -- '-*' $cur
    set action choices (__paddock_flags "$key")
  else if test $nargs -eq 0; and set -l children (__paddock_children "$key"); and test -n "$children"
    set action choices $children
  else
    set action (__paddock_arg "$key:$nargs")
  end
  switch "$action[1]"
    case choices
      printf '%s\\n' $action[2..-1]
    case list
      $prog $conn $action[2..-1] 2>/dev/null | string replace -r '^[^/]*/' ''
    case kind-names
      test -n "$kind"; and $prog $conn get $kind -o name 2>/dev/null | string replace -r '^[^/]*/' ''
    case files
      __fish_complete_path $cur
  end
end

complete -c paddock -f -a '(__paddock_complete)'
`;
}
