/**
 * envd's plain HTTP routes for file contents: `GET /files` (download) and `POST /files`
 * (upload: `multipart/form-data` with one or several files, or `application/octet-stream` with
 * one), through the SandboxRuntime seam's `files`. `Accept-Encoding: gzip` compresses a download,
 * `Content-Encoding: gzip` is an upload compressed. Errors are E2B's `{code, message}` with
 * envd's statuses: 404 for a missing file, 400 for a bad path or body, 403 for a path outside
 * the sandbox's writable roots or a user other than `user`.
 */
import { posix } from 'node:path';
import { promisify } from 'node:util';
import { constants, createGzip, gunzip } from 'node:zlib';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import { sendFileStream } from '../handlers/file-stream.ts';
import { invalidBody, readBody } from '../http/body.ts';
import { json, type Reply, streamed } from '../http/respond.ts';
import { BINARY_BODY_FACTOR } from '../http/router.ts';
import type { EnvdCall, EnvdHttpRoute } from './e2b-call.ts';
import { requireSandboxUser, resolveEnvdPath } from './envd-filesystem-entry.ts';

const gunzipAsync = promisify(gunzip);

/** Smaller downloads go uncompressed: gzip's framing would outweigh what it saves. */
const GZIP_MIN_BYTES = 1024;
/** Larger downloads are compressed at gzip's fastest level (every `fetch` asks for gzip). */
const GZIP_FAST_ABOVE_BYTES = 1024 * 1024;

/** What an upload answers for each file written (envd's `EntryInfo` of `/files`). */
type WriteInfo = { name: string; type: 'file'; path: string };

/** A path outside the writable roots is refused (403), not a bad request as elsewhere. */
async function refusingOutside<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isPaddockError(error, ErrorCode.PathOutsideSandbox))
      throw new PaddockError(ErrorCode.Forbidden, error.message, error.details);
    throw error;
  }
}

function queryPath(call: EnvdCall): string | undefined {
  const path = call.ctx.url.searchParams.get('path');
  return path === null || path === '' ? undefined : path;
}

/** Whether `Accept-Encoding` takes gzip (a `q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

async function download(call: EnvdCall): Promise<Reply> {
  requireSandboxUser(call.user);
  const given = queryPath(call);
  if (given === undefined)
    throw new PaddockError(ErrorCode.ValidationFailed, 'the path of the file is missing');
  const path = resolveEnvdPath(given);
  call.ctx.audit.details = { path };
  // Refusals (404, 400, 403) come before any byte; the file then streams at the client's pace.
  const read = await refusingOutside(() =>
    call.deps.engine.runtime.files.readStream(call.ref, path),
  );
  const isGzip =
    acceptsGzip(call.req.headers['accept-encoding']) && read.sizeBytes >= GZIP_MIN_BYTES;
  const level =
    read.sizeBytes > GZIP_FAST_ABOVE_BYTES
      ? constants.Z_BEST_SPEED
      : constants.Z_DEFAULT_COMPRESSION;
  call.res.writeHead(200, {
    'content-type': 'application/octet-stream',
    // A compressed body's length is known only at its end: it goes chunked.
    ...(isGzip ? { 'content-encoding': 'gzip' } : { 'content-length': read.sizeBytes }),
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(posix.basename(path))}`,
    'cache-control': 'no-store',
    vary: 'Accept-Encoding',
    'x-request-id': call.ctx.requestId,
  });
  const failure = await sendFileStream(
    call.res,
    read.stream,
    isGzip ? createGzip({ level }) : undefined,
  );
  if (failure !== undefined) throw failure;
  return streamed();
}

/** The request body, decompressed when `Content-Encoding: gzip`, at most `limitBytes` either way. */
async function uploadBody(call: EnvdCall, limitBytes: number): Promise<Buffer> {
  const encoding = (call.req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    call.req.resume();
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `Content-Encoding ${encoding} is not supported (identity or gzip)`,
    );
  }
  const raw = await readBody(call.req, limitBytes);
  if (encoding === 'identity') return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: limitBytes });
  } catch (error) {
    if (error instanceof RangeError)
      throw new PaddockError(
        ErrorCode.PayloadTooLarge,
        `the decompressed body exceeds ${limitBytes} bytes`,
        { limitBytes },
      );
    throw invalidBody('is not valid gzip');
  }
}

/** The files of a multipart body: each part that is a file, with the name it was sent under. */
async function multipartFiles(
  contentType: string,
  body: Buffer,
): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw invalidBody('is not valid multipart/form-data');
  }
  const files: Array<{ name: string; bytes: Uint8Array }> = [];
  for (const [, value] of form) {
    if (typeof value === 'string') continue;
    files.push({ name: value.name, bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return files;
}

async function upload(call: EnvdCall): Promise<Reply> {
  requireSandboxUser(call.user);
  const metadata = Object.keys(call.req.headers).filter((h) => h.startsWith('x-metadata-'));
  if (metadata.length > 0) {
    call.req.resume();
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      'file metadata (X-Metadata-* headers) is not supported by Paddock sandboxes',
    );
  }
  const contentType = call.req.headers['content-type'] ?? 'application/octet-stream';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const given = queryPath(call);
  const body = await uploadBody(call, call.deps.config.maxBodyBytes * BINARY_BODY_FACTOR);
  let targets: Array<{ path: string; bytes: Uint8Array }>;
  if (mediaType === 'multipart/form-data') {
    const parts = await multipartFiles(contentType, body);
    if (parts.length === 0) throw invalidBody('holds no file');
    if (given !== undefined && parts.length > 1)
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        'several files cannot be written to one path: leave out "path" and name each file',
      );
    targets = parts.map((part) => {
      const name = given ?? part.name;
      if (name === '')
        throw new PaddockError(ErrorCode.ValidationFailed, 'a file has neither path nor name');
      return { path: resolveEnvdPath(name), bytes: part.bytes };
    });
  } else if (mediaType === 'application/octet-stream') {
    if (given === undefined)
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        'the path query parameter is required with application/octet-stream',
      );
    targets = [{ path: resolveEnvdPath(given), bytes: body }];
  } else {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `Content-Type ${mediaType} is not supported (multipart/form-data or application/octet-stream)`,
    );
  }
  call.ctx.audit.details = { paths: targets.map((t) => t.path) };
  const { files } = call.deps.engine.runtime;
  const written: WriteInfo[] = [];
  for (const target of targets) {
    await refusingOutside(() => files.write(call.ref, target.path, target.bytes));
    written.push({ name: posix.basename(target.path), type: 'file', path: target.path });
  }
  return json(written);
}

export const ENVD_HTTP_ROUTES: readonly EnvdHttpRoute[] = [
  { method: 'GET', path: '/files', handle: download },
  { method: 'POST', path: '/files', action: 'sandbox.files.write', handle: upload },
];
