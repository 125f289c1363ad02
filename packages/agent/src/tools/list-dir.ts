/** `list_dir`: the entries of a directory, sorted, directories marked with a trailing `/`. */
import { readdir } from 'node:fs/promises';
import { z } from 'zod';
import { resolveToolPath } from './paths.ts';
import { defineTool, truncateOutput } from './tool.ts';

const MAX_ENTRIES = 1000;

const ListDirArgs = z.strictObject({
  path: z
    .string()
    .min(1)
    .optional()
    .describe('Directory to list (default: the working directory).'),
});

export const listDirTool = defineTool({
  name: 'list_dir',
  description: 'List a directory. Directories end with "/".',
  schema: ListDirArgs,
  async run(args, context) {
    const path = await resolveToolPath(context, args.path ?? '.');
    const entries = await readdir(path, { withFileTypes: true });
    const names = entries
      .map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name))
      .sort((a, b) => a.localeCompare(b));
    if (names.length === 0) return '(empty directory)';
    const shown = names.slice(0, MAX_ENTRIES).join('\n');
    const more =
      names.length > MAX_ENTRIES ? `\n[… ${names.length - MAX_ENTRIES} more entries]` : '';
    return truncateOutput(shown + more, context.maxOutputChars);
  },
});
