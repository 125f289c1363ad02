/** `write_file`: writes a whole file, creating its directories. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { displayPath, resolveToolPath } from './paths.ts';
import { defineTool } from './tool.ts';

const WriteFileArgs = z.strictObject({
  path: z.string().min(1).describe('File to write, relative to the working directory.'),
  content: z.string().describe('The whole new content of the file.'),
});

export const writeFileTool = defineTool({
  name: 'write_file',
  description:
    'Write a file with the given content, replacing it if it exists and creating missing directories.',
  schema: WriteFileArgs,
  async run(args, context) {
    const path = await resolveToolPath(context, args.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, args.content);
    return `wrote ${Buffer.byteLength(args.content)} bytes to ${displayPath(context, path)}`;
  },
});
