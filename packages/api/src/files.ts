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

/** What a download link fetches: the file's bytes, or a tar archive of a file or directory. */
export const DownloadKind = z.enum(['file', 'archive']);
export type DownloadKind = z.infer<typeof DownloadKind>;

/** Body of `POST …/files/download-link`. */
export const DownloadLinkBody = z.strictObject({
  path: SandboxPath,
  kind: DownloadKind.default('file'),
});

/** A signed download link: `url` is relative to the API's origin and needs no credential. */
export const DownloadLink = z.object({
  url: z.string(),
  /** When the link stops working (RFC 3339); a download started before goes on. */
  expiresAt: z.string(),
  path: z.string(),
  kind: DownloadKind,
  /** The name the download is saved under (`Content-Disposition`). */
  filename: z.string(),
});
export type DownloadLink = z.infer<typeof DownloadLink>;

/** `?token=` of `GET …/files/download`: the signed link's token. */
export const DownloadQuery = z.strictObject({ token: z.string().min(1).max(16_384) });
