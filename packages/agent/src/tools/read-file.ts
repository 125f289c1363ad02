/** `read_file`: a text file's lines, optionally a window of them (`offset` from 1, `limit` lines). */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { displayPath, resolveToolPath } from './paths.ts';
import { defineTool, truncateOutput } from './tool.ts';

const DEFAULT_LIMIT = 2000;

const ReadFileArgs = z.strictObject({
  path: z.string().min(1).describe('File to read, relative to the working directory.'),
  offset: z.int().positive().optional().describe('First line to read, from 1 (default 1).'),
  limit: z
    .int()
    .positive()
    .optional()
    .describe(`Number of lines to read (default ${DEFAULT_LIMIT}).`),
});

export const readFileTool = defineTool({
  name: 'read_file',
  description:
    'Read a text file. Returns its content; for long files pass offset (first line, from 1) and limit (number of lines).',
  schema: ReadFileArgs,
  async run(args, context) {
    const path = await resolveToolPath(context, args.path);
    const content = await readFile(path, 'utf8');
    const lines = content.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const start = (args.offset ?? 1) - 1;
    const limit = args.limit ?? DEFAULT_LIMIT;
    if (start === 0 && lines.length <= limit && args.offset === undefined) {
      return truncateOutput(content, context.maxOutputChars);
    }
    if (start >= lines.length && lines.length > 0) {
      return {
        output: `offset ${start + 1} is past the end of ${displayPath(context, path)} (${lines.length} lines)`,
        isError: true,
      };
    }
    const window = lines.slice(start, start + limit);
    const end = start + window.length;
    const note =
      end < lines.length || start > 0
        ? `\n[lines ${start + 1}-${end} of ${lines.length}; pass offset to read more]`
        : '';
    return truncateOutput(`${window.join('\n')}${note}`, context.maxOutputChars);
  },
});
