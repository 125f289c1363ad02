import { z } from 'zod';
import { QueryBoolean } from './list.ts';

/** An absolute path inside the sandbox; confinement (`path_outside_sandbox`) is the runtime's job. */
export const SandboxPath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');

/** `?path=` of the files routes. */
export const PathQuery = z.strictObject({ path: SandboxPath });

/** `?path=&mode=` of a file write; `mode` is octal text (`644`, `0755`). */
export const WriteFileQuery = z.strictObject({
  path: SandboxPath,
  mode: z
    .string()
    .regex(/^0?[0-7]{3,4}$/, 'must be octal permission bits like 644 or 0755')
    .transform((text) => Number.parseInt(text, 8))
    .optional(),
});

/** `?path=&recursive=` of a delete. */
export const RemoveFileQuery = z.strictObject({
  path: SandboxPath,
  recursive: QueryBoolean.optional(),
});

export const FileType = z.enum(['file', 'directory', 'symlink', 'other']);

/** The wire form of the runtime's `FileInfo`. */
export const FileInfo = z.object({
  path: z.string(),
  name: z.string(),
  type: FileType,
  sizeBytes: z.int().nonnegative(),
  /** Permission bits as a number (0o644 = 420). */
  mode: z.int().nonnegative(),
  modifiedAt: z.string(),
});
export type FileInfo = z.infer<typeof FileInfo>;

export const FileList = z.object({ path: z.string(), items: z.array(FileInfo) });
export type FileList = z.infer<typeof FileList>;

export const MkdirBody = z.strictObject({ path: SandboxPath });
export const MoveBody = z.strictObject({ from: SandboxPath, to: SandboxPath });

/** Reply of the mutating file routes that have nothing else to say. */
export const FileWriteResult = z.object({ path: z.string() });
