/** `glob`: files matching a pattern (`**\/*.ts`), relative to a directory; `.git` and `node_modules` skipped. */
import { glob } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { resolveToolPath } from './paths.ts';
import { defineTool, truncateOutput } from './tool.ts';

const MAX_MATCHES = 1000;
/** Directories no search descends into. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules']);

const GlobArgs = z.strictObject({
  pattern: z.string().min(1).describe('Glob pattern, e.g. "**/*.ts" or "src/*.json".'),
  path: z
    .string()
    .min(1)
    .optional()
    .describe('Directory to search from (default: the working directory).'),
});

export const globTool = defineTool({
  name: 'glob',
  description:
    'Find files whose path matches a glob pattern (relative to path). .git and node_modules are skipped.',
  schema: GlobArgs,
  async run(args, context) {
    const base = await resolveToolPath(context, args.path ?? '.');
    const matches: string[] = [];
    for await (const match of glob(args.pattern, {
      cwd: base,
      exclude: (name) => SKIPPED_DIRS.has(basename(name)),
    })) {
      matches.push(match);
      if (matches.length > MAX_MATCHES) break;
    }
    if (matches.length === 0) return 'no matches';
    matches.sort();
    const shown = matches.slice(0, MAX_MATCHES).join('\n');
    const more =
      matches.length > MAX_MATCHES
        ? `\n[more than ${MAX_MATCHES} matches; narrow the pattern]`
        : '';
    return truncateOutput(shown + more, context.maxOutputChars);
  },
});
