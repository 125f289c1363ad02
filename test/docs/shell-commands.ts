// Test support: the simple commands of a shell snippet from the docs, as argv, without a shell.

/** One simple command: its leading `NAME=value` assignments and its words. */
export type ShellCommand = { env: Record<string, string>; argv: string[] };

type Token = { kind: 'word'; text: string } | { kind: 'split' } | { kind: 'redirect' };

const PLACEHOLDER = /^<[A-Za-z][\w-]*>/;

/**
 * Splits a snippet into words and operators the way sh reads it, enough for documentation:
 * quotes, backslash line continuations, comments, `|`, `&&`, `||`, `;`, `&`, `$(…)`, `<(…)`
 * and redirections. `$VAR` stays as written; `<id>` is a placeholder word, not a redirection.
 */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let word: string | undefined;
  const end = () => {
    if (word !== undefined) tokens.push({ kind: 'word', text: word });
    word = undefined;
  };
  const source = text.replace(/\\\n/g, ' ');
  for (let i = 0; i < source.length; i++) {
    const c = source[i] ?? '';
    const rest = source.slice(i);
    if (c === "'") {
      const close = source.indexOf("'", i + 1);
      word = (word ?? '') + source.slice(i + 1, close === -1 ? undefined : close);
      i = close === -1 ? source.length : close;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < source.length && source[j] !== '"') {
        if (source[j] === '\\' && '"\\$`'.includes(source[j + 1] ?? '')) j++;
        value += source[j];
        j++;
      }
      word = (word ?? '') + value;
      i = j;
    } else if (c === '\\') {
      word = (word ?? '') + (source[i + 1] ?? '');
      i++;
    } else if (c === '#' && word === undefined) {
      i = source.indexOf('\n', i) === -1 ? source.length : source.indexOf('\n', i) - 1;
    } else if (c === ' ' || c === '\t') {
      end();
    } else if (c === '\n' || c === ';' || c === '|' || c === '&' || c === ')') {
      end();
      tokens.push({ kind: 'split' });
    } else if (rest.startsWith('$(') || rest.startsWith('<(')) {
      end();
      tokens.push({ kind: 'split' });
      i++;
    } else if (c === '<' && PLACEHOLDER.test(rest)) {
      const placeholder = PLACEHOLDER.exec(rest)?.[0] ?? '';
      word = (word ?? '') + placeholder;
      i += placeholder.length - 1;
    } else if (c === '<' || c === '>') {
      if (word !== undefined && /^\d$/.test(word)) word = undefined;
      end();
      if (source[i + 1] === '>' || source[i + 1] === '&') i++;
      tokens.push({ kind: 'redirect' });
    } else {
      word = (word ?? '') + c;
    }
  }
  end();
  return tokens;
}

/** The simple commands of `text` (a script, one command line, or a code span). */
export function shellCommands(text: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let current: string[] = [];
  let isRedirectTarget = false;
  const flush = () => {
    const env: Record<string, string> = {};
    while (current.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(current[0] ?? '')) {
      const assignment = current.shift() ?? '';
      const equals = assignment.indexOf('=');
      env[assignment.slice(0, equals)] = assignment.slice(equals + 1);
    }
    if (current.length > 0) commands.push({ env, argv: current });
    current = [];
  };
  for (const token of tokenize(text)) {
    if (token.kind === 'split') flush();
    else if (token.kind === 'redirect') isRedirectTarget = true;
    else if (isRedirectTarget) isRedirectTarget = false;
    else current.push(token.text);
  }
  flush();
  return commands;
}

/** The words of one command line or code span (`--oidc-scopes "openid email"` → 2 words). */
export function shellWords(text: string): string[] {
  return shellCommands(text).flatMap((command) => [
    ...Object.entries(command.env).map(([name, value]) => `${name}=${value}`),
    ...command.argv,
  ]);
}
