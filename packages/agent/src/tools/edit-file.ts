/**
 * `edit_file`: replaces one exact piece of a file. `old_string` must occur exactly once; none or
 * several occurrences is an error naming the count, so the model adds context and tries again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { displayPath, resolveToolPath } from './paths.ts';
import { defineTool } from './tool.ts';

const EditFileArgs = z.strictObject({
  path: z.string().min(1).describe('File to edit, relative to the working directory.'),
  old_string: z
    .string()
    .min(1)
    .describe('Exact text to replace; must occur exactly once in the file (include context).'),
  new_string: z.string().describe('The text to put in its place.'),
});

/** How many times `needle` occurs in `text`, without overlaps. */
export function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
    count++;
  }
  return count;
}

export const editFileTool = defineTool({
  name: 'edit_file',
  description:
    'Replace old_string with new_string in a file. old_string must match exactly once (whitespace included); otherwise nothing changes and the error says how many times it matched.',
  schema: EditFileArgs,
  async run(args, context) {
    const path = await resolveToolPath(context, args.path);
    const content = await readFile(path, 'utf8');
    const count = countOccurrences(content, args.old_string);
    if (count !== 1) {
      return {
        output: `old_string matched ${count} times in ${displayPath(context, path)}; it must match exactly once${count > 1 ? ' (add surrounding context to make it unique)' : ''}`,
        isError: true,
      };
    }
    const at = content.indexOf(args.old_string);
    const updated =
      content.slice(0, at) + args.new_string + content.slice(at + args.old_string.length);
    await writeFile(path, updated);
    return `edited ${displayPath(context, path)}`;
  },
});
