/**
 * `grep`: lines matching a regular expression (JavaScript syntax) in a file or under a directory,
 * as `path:line:text`, optionally only in files matching a glob. Pure Node: binary files (a NUL
 * in the first 8 KiB), files over 2 MiB, `.git` and `node_modules` are skipped.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, matchesGlob, relative } from 'node:path';
import { z } from 'zod';
import { SKIPPED_DIRS } from './glob.ts';
import { displayPath, resolveToolPath } from './paths.ts';
import { defineTool, truncateOutput } from './tool.ts';

const MAX_MATCHES = 200;
const MAX_FILE_BYTES = 2 * 1024 * 1024;
const MAX_LINE_CHARS = 500;

const GrepArgs = z.strictObject({
  pattern: z.string().min(1).describe('Regular expression (JavaScript syntax) to search for.'),
  path: z
    .string()
    .min(1)
    .optional()
    .describe('File or directory to search (default: the working directory).'),
  glob: z
    .string()
    .min(1)
    .optional()
    .describe('Only search files matching this glob, e.g. "*.ts" or "src/**/*.ts".'),
  ignoreCase: z.boolean().optional().describe('Match case-insensitively.'),
});

async function* filesUnder(dir: string): AsyncGenerator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* filesUnder(full);
    } else if (entry.isFile()) {
      yield full;
    }
  }
}

function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8192).includes(0);
}

export const grepTool = defineTool({
  name: 'grep',
  description:
    'Search file contents for a regular expression. Returns matching lines as path:line:text (at most 200).',
  schema: GrepArgs,
  async run(args, context) {
    let regex: RegExp;
    try {
      regex = new RegExp(args.pattern, args.ignoreCase ? 'i' : '');
    } catch (error) {
      return {
        output: `invalid arguments for grep: pattern: ${error instanceof Error ? error.message : String(error)}`,
        isError: true,
      };
    }
    const root = await resolveToolPath(context, args.path ?? '.');
    const info = await stat(root);
    const files = info.isDirectory() ? filesUnder(root) : [root];
    const matches: string[] = [];
    let isCapped = false;
    outer: for await (const file of files) {
      if (args.glob !== undefined && info.isDirectory()) {
        const rel = relative(root, file);
        const target = args.glob.includes('/') ? rel : basename(file);
        if (!matchesGlob(target, args.glob)) continue;
      }
      let content: Buffer;
      try {
        if ((await stat(file)).size > MAX_FILE_BYTES) continue;
        content = await readFile(file);
      } catch {
        continue;
      }
      if (isBinary(content)) continue;
      const lines = content.toString('utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] ?? '';
        if (!regex.test(line)) continue;
        if (matches.length >= MAX_MATCHES) {
          isCapped = true;
          break outer;
        }
        const shown = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
        matches.push(`${displayPath(context, file)}:${i + 1}:${shown}`);
      }
    }
    if (matches.length === 0) return 'no matches';
    const note = isCapped ? `\n[stopped at ${MAX_MATCHES} matches; narrow the search]` : '';
    return truncateOutput(matches.join('\n') + note, context.maxOutputChars);
  },
});
