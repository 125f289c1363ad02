// What the shells complete, derived from the command table: words, flags and argument values.
import { KIND_NAMES, KINDS } from '@paddock/core';
import { FLAG_SPEC, type FlagName, GLOBAL_FLAGS, OutputFormat } from '../cli-options.ts';
import type { Command } from '../command.ts';

/**
 * How one value completes: fixed words, the names a `paddock …` listing prints (`kind/name` per
 * line, the part after `/`), the names of the KIND given earlier on the line, or file names.
 */
export type ValueSpec =
  | { kind: 'choices'; words: string[] }
  | { kind: 'list'; argv: string[] }
  | { kind: 'kind-names' }
  | { kind: 'files' };

export type CompletionModel = {
  /** Each command path (`''` is the root, `'sandbox'`, …) and the words that may follow it. */
  children: Array<{ key: string; words: string[] }>;
  /** Per leaf command, the flags it takes (long and short forms). */
  flags: Array<{ key: string; words: string[] }>;
  /** Flags that take a value (their next word is that value). */
  valueFlags: string[];
  /** Values of some flags. */
  flagValues: Array<{ flags: string[]; spec: ValueSpec }>;
  /** Per leaf command, its positional arguments in order; `repeatLast` for `NAME…`. */
  args: Array<{ key: string; specs: ValueSpec[]; repeatLast: boolean }>;
  /** Connection flags copied from the line into the listing commands. */
  connectionFlags: string[];
};

/** Commands `main` runs itself, outside the table. */
const BUILTIN_WORDS = ['up', 'version', 'help'];

function flagWords(name: FlagName): string[] {
  const spec = FLAG_SPEC[name];
  return 'short' in spec ? [`--${name}`, `-${spec.short}`] : [`--${name}`];
}

function kindWords(): string[] {
  return KIND_NAMES.flatMap((k) => [k.toLowerCase(), KINDS[k].plural]);
}

/** The argument words of a command's `Usage:` line, up to its first flag or `--`. */
export function usageArguments(command: Command): string[] {
  const usage = command.help.split('\n')[0] ?? '';
  const words = usage
    .replace(/^Usage:\s*paddock\s*/, '')
    .split(/\s+/)
    .filter(Boolean);
  const args: string[] = [];
  for (const word of words.slice(command.path.length)) {
    if (word.startsWith('-') || word.startsWith('[-')) break;
    args.push(word.replace(/^\[|\]$/g, ''));
  }
  return args;
}

function argSpec(
  word: string,
  command: Command,
  commands: readonly Command[],
): ValueSpec | undefined {
  const bare = word.replace(/(…|\.\.\.)$/, '');
  if (/^[a-z0-9-]+(\|[a-z0-9-]+)+$/.test(bare)) return { kind: 'choices', words: bare.split('|') };
  if (bare === 'FILE' || bare === 'PATH') return { kind: 'files' };
  if (bare !== 'NAME' && bare !== 'ID') return undefined;
  if (command.path.at(-1) === 'create') return undefined;
  const [noun] = command.path;
  if (noun !== undefined && commands.some((c) => c.path.join(' ') === `${noun} list`)) {
    return { kind: 'list', argv: [noun, 'list', '-o', 'name'] };
  }
  return undefined;
}

function argSpecs(command: Command, commands: readonly Command[]): ValueSpec[] {
  const words = usageArguments(command);
  const hasKind = words.some((w) => w.replace(/(…|\.\.\.)$/, '') === 'KIND');
  return words.map((word) => {
    const bare = word.replace(/(…|\.\.\.)$/, '');
    if (bare === 'KIND') return { kind: 'choices', words: kindWords() };
    if (hasKind && (bare === 'NAME' || bare === 'ID')) return { kind: 'kind-names' };
    return argSpec(word, command, commands) ?? { kind: 'choices', words: [] };
  });
}

export function completionModel(commands: readonly Command[]): CompletionModel {
  const children = new Map<string, Set<string>>([['', new Set(BUILTIN_WORDS)]]);
  for (const command of commands) {
    command.path.forEach((word, index) => {
      const key = command.path.slice(0, index).join(' ');
      const words = children.get(key) ?? new Set<string>();
      words.add(word);
      children.set(key, words);
    });
  }
  const flagNames = Object.keys(FLAG_SPEC) as FlagName[];
  return {
    children: [...children].map(([key, words]) => ({ key, words: [...words].sort() })),
    flags: commands.map((c) => ({
      key: c.path.join(' '),
      words: [...new Set([...c.flags, ...GLOBAL_FLAGS])].flatMap(flagWords),
    })),
    valueFlags: flagNames.filter((f) => FLAG_SPEC[f].type === 'string').flatMap(flagWords),
    flagValues: [
      { flags: flagWords('output'), spec: { kind: 'choices', words: Object.values(OutputFormat) } },
      {
        flags: flagWords('context'),
        spec: { kind: 'list', argv: ['context', 'list', '-o', 'name'] },
      },
      { flags: [...flagWords('filename'), ...flagWords('home')], spec: { kind: 'files' } },
      { flags: flagWords('role'), spec: { kind: 'choices', words: ['admin', 'user'] } },
    ],
    args: commands.map((c) => ({
      key: c.path.join(' '),
      specs: argSpecs(c, commands),
      repeatLast: /(…|\.\.\.)\]?$/.test(usageArguments(c).at(-1) ?? ''),
    })),
    connectionFlags: [
      ...flagWords('server'),
      ...flagWords('token'),
      ...flagWords('context'),
      ...flagWords('namespace'),
    ],
  };
}
