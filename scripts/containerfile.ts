/**
 * The little of a Containerfile (Dockerfile) that `build-image.ts` and the image test read:
 * stages with their instructions, continuation lines joined, comments and parser directives
 * dropped; and the context's ignore file (`.dockerignore`) as Docker matches it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';

export type Instruction = {
  /** Upper case: `COPY`, `RUN`, `USER`, … */
  op: string;
  /** `--from=web` → `{from: 'web'}`. */
  flags: Record<string, string>;
  /** The words after the flags; the JSON array of an exec form, parsed. */
  args: string[];
  /** The text after the op, as written (continuations joined). */
  text: string;
  line: number;
};

export type Stage = { name: string; from: string; instructions: Instruction[] };

export type Containerfile = {
  /** `ARG`s before the first `FROM`, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
};

export function parseContainerfile(source: string): Containerfile {
  const result: Containerfile = { globalArgs: {}, stages: [] };
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let text = lines[i]?.trim() ?? '';
    if (text === '' || text.startsWith('#')) continue;
    while (text.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i]?.trim() ?? '';
      if (next.startsWith('#')) continue;
      text = `${text.slice(0, -1).trimEnd()} ${next}`;
    }
    const instruction = parseInstruction(text, start);
    const stage = result.stages.at(-1);
    if (instruction.op === 'FROM') {
      const [from = '', as, name] = instruction.args;
      const isNamed = as?.toUpperCase() === 'AS' && name !== undefined;
      const index = String(result.stages.length);
      result.stages.push({ name: isNamed ? name : index, from, instructions: [] });
    } else if (stage === undefined) {
      if (instruction.op !== 'ARG') throw new Error(`line ${start}: ${instruction.op} before FROM`);
      const [name = '', value = ''] = (instruction.args[0] ?? '').split('=');
      result.globalArgs[name] = value;
    } else {
      stage.instructions.push(instruction);
    }
  }
  return result;
}

function parseInstruction(text: string, line: number): Instruction {
  const space = text.search(/\s/);
  const op = (space === -1 ? text : text.slice(0, space)).toUpperCase();
  const rest = space === -1 ? '' : text.slice(space + 1).trim();
  const flags: Record<string, string> = {};
  let body = rest;
  for (;;) {
    const flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(body);
    if (flag === null) break;
    flags[flag[1] ?? ''] = flag[2] ?? '';
    body = body.slice(flag[0].length);
  }
  const args = body.startsWith('[')
    ? (JSON.parse(body) as string[])
    : body.split(/\s+/).filter((w) => w !== '');
  return { op, flags, args, text: body, line };
}

/** The stage named `name`; throws naming it when there is none. */
export function stage(file: Containerfile, name: string): Stage {
  const found = file.stages.find((s) => s.name === name);
  if (found === undefined) throw new Error(`the Containerfile has no stage ${name}`);
  return found;
}

/** `${NAME}` replaced by the global ARG's default. */
export function expandArgs(file: Containerfile, text: string): string {
  return text.replace(/\$\{(\w+)\}/g, (_, name: string) => file.globalArgs[name] ?? '');
}

/**
 * Whether the context path `relative` (with `/`) is left out of the build context by the ignore
 * file's patterns: a pattern matches the path or one of its parent directories, as Docker's
 * `**`-aware matching does. Exceptions (`!pattern`) are refused: none is needed.
 */
export function contextFilter(repo: string): (relative: string) => boolean {
  const file = join(repo, '.dockerignore');
  const patterns = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((p) => p.trim())
        .filter((p) => p !== '' && !p.startsWith('#'))
    : [];
  const negated = patterns.find((p) => p.startsWith('!'));
  if (negated !== undefined) throw new Error(`.dockerignore: ${negated}: exceptions unsupported`);
  const cleaned = patterns.map((p) => p.replace(/^\/+|\/+$/g, ''));
  return (relative) => {
    const parts = relative.split('/');
    for (let n = 1; n <= parts.length; n++) {
      const prefix = parts.slice(0, n).join('/');
      if (cleaned.some((p) => matchesGlob(prefix, p))) return true;
    }
    return false;
  };
}
