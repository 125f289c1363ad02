/** Tools over the files of a sandbox: read, write, list. */
import { z } from 'zod';
import { readFileHead } from '../file-head.ts';
import { defineTool, NamespaceInput, type PaddockTool, READ_ONLY, scopeOf } from '../tool.ts';
import { AbsolutePath, SandboxName } from './sandbox-inputs.ts';

/** Bytes of a file sandbox_read_file returns by default. */
const DEFAULT_READ_BYTES = 100_000;
/** Entries sandbox_list_files returns at most. */
const MAX_LIST_ENTRIES = 1_000;

/** The bytes as UTF-8 text when they are text (no NUL, valid UTF-8; a cut last character is fine). */
function asText(bytes: Uint8Array, isCut: boolean): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: isCut });
  } catch {
    return undefined;
  }
}

const FileEntry = z.object({
  path: z.string(),
  name: z.string(),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  sizeBytes: z.int(),
  mode: z.string().describe('Permission bits in octal, e.g. "644"'),
  modifiedAt: z.string(),
});

export const sandboxFileTools: PaddockTool[] = [
  defineTool({
    name: 'sandbox_read_file',
    title: 'Read a file in a sandbox',
    description:
      'Reads a file in a Running sandbox. Text comes back as UTF-8 (encoding "utf8"); a binary file comes back as base64 (encoding "base64"). At most maxBytes are returned (from the start of the file), with truncated set when the file is longer. Use sandbox_list_files to find files.',
    input: z.object({
      name: SandboxName,
      namespace: NamespaceInput,
      path: AbsolutePath.describe('Absolute path, e.g. /workspace/README.md'),
      maxBytes: z.int().min(1).max(5_000_000).default(DEFAULT_READ_BYTES),
    }),
    output: z.object({
      path: z.string(),
      encoding: z.enum(['utf8', 'base64']),
      content: z.string(),
      sizeBytes: z.int().describe('Size of the whole file'),
      truncated: z.boolean(),
    }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      // Only the bytes answered are read: the rest of a file of any size is never fetched.
      const { bytes: kept, sizeBytes } = await readFileHead(
        client,
        input.name,
        input.path,
        { ...scopeOf(input.namespace), signal },
        input.maxBytes,
      );
      const isCut = sizeBytes > kept.byteLength;
      const text = asText(kept, isCut);
      return {
        path: input.path,
        ...(text === undefined
          ? { encoding: 'base64' as const, content: Buffer.from(kept).toString('base64') }
          : { encoding: 'utf8' as const, content: text }),
        sizeBytes,
        truncated: isCut,
      };
    },
  }),
  defineTool({
    name: 'sandbox_write_file',
    title: 'Write a file in a sandbox',
    description:
      'Writes a file in a Running sandbox, creating missing parent directories and replacing any existing content. `content` is UTF-8 text, or base64 with encoding "base64" for binary data. Returns the path, size and permission bits written.',
    input: z.object({
      name: SandboxName,
      namespace: NamespaceInput,
      path: AbsolutePath.describe('Absolute path, e.g. /workspace/main.py'),
      content: z.string(),
      encoding: z.enum(['utf8', 'base64']).default('utf8'),
      mode: z
        .string()
        .regex(/^0?[0-7]{3,4}$/)
        .optional()
        .describe('Octal permission bits, e.g. "755" for a script'),
    }),
    output: FileEntry,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    handle: async (input, { client, signal }) => {
      const data =
        input.encoding === 'base64'
          ? new Uint8Array(Buffer.from(input.content, 'base64'))
          : input.content;
      const info = await client.sandboxes.files.write(input.name, input.path, data, {
        ...scopeOf(input.namespace),
        ...(input.mode === undefined ? {} : { mode: input.mode }),
        signal,
      });
      return { ...info, mode: info.mode.toString(8) };
    },
  }),
  defineTool({
    name: 'sandbox_list_files',
    title: 'List files in a sandbox',
    description:
      'Lists a directory of a Running sandbox (not recursive): each entry’s name, type (file, directory, symlink), size, permissions and modification time. Use it to explore the workspace before reading files. Returns at most 1000 entries, with truncated set when there were more.',
    input: z.object({
      name: SandboxName,
      namespace: NamespaceInput,
      path: AbsolutePath.default('/workspace').describe('Directory; /workspace when absent'),
    }),
    output: z.object({ path: z.string(), items: z.array(FileEntry), truncated: z.boolean() }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const list = await client.sandboxes.files.list(input.name, input.path, {
        ...scopeOf(input.namespace),
        signal,
      });
      return {
        path: list.path,
        items: list.items
          .slice(0, MAX_LIST_ENTRIES)
          .map((info) => ({ ...info, mode: info.mode.toString(8) })),
        truncated: list.items.length > MAX_LIST_ENTRIES,
      };
    },
  }),
];
