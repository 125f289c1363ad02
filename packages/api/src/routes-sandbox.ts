import { Sandbox } from '@paddock/core';
import { ExecBody, ExecResult, ExecStreamEvent } from './exec.ts';
import {
  DownloadLink,
  DownloadLinkBody,
  DownloadQuery,
  FileInfo,
  FileList,
  MkdirBody,
  MoveBody,
  PathQuery,
  RemoveFileQuery,
  WriteFileQuery,
} from './files.ts';
import { type AnyRoute, binary, defineRoute, json, ndjson, sse, text } from './route.ts';
import { PROCESS_ROUTES } from './routes-processes.ts';
import { itemPath, NamespacedNameParams } from './routes-resources.ts';
import {
  EventList,
  EventsQuery,
  LogLine,
  LogsQuery,
  PortList,
  ResourceEvent,
} from './sandbox-info.ts';

const base = itemPath('Sandbox');
const params = NamespacedNameParams;
const tags = ['Sandbox'] as const;
const auth = 'required' as const;
const OCTET = 'application/octet-stream';
const TAR = 'application/x-tar';

/**
 * Subresources of a sandbox. Files are addressed by `?path=` (absolute, inside the sandbox);
 * contents travel as raw bytes, never JSON. `exec/stream` answers `application/x-ndjson`
 * (one `ExecStreamEvent` per line); `logs?follow=true`, `events?watch=true` answer
 * `text/event-stream`. Interactive terminals are the WebSocket `/ws/terminal/{namespace}/{name}`
 * and HTTP previews `…/preview/{port}/…`, both outside this table.
 */
export const SANDBOX_ROUTES = {
  stop: defineRoute({
    operationId: 'stopSandbox',
    method: 'POST',
    path: `${base}/stop`,
    summary: 'Stop a sandbox (desiredState Stopped); the workspace is kept',
    tags,
    auth,
    params,
    responses: [{ status: 200, description: 'The sandbox', content: [json(Sandbox)] }],
  }),
  start: defineRoute({
    operationId: 'startSandbox',
    method: 'POST',
    path: `${base}/start`,
    summary: 'Start a stopped sandbox again (desiredState Running)',
    tags,
    auth,
    params,
    responses: [{ status: 200, description: 'The sandbox', content: [json(Sandbox)] }],
  }),
  pause: defineRoute({
    operationId: 'pauseSandbox',
    method: 'POST',
    path: `${base}/pause`,
    summary: 'Pause a sandbox (desiredState Paused): its processes frozen in place, memory kept',
    description:
      'While paused, exec, files, terminals and ports answer 409 `sandbox_paused` (an exec with ' +
      '`autoResume: true` resumes it first). `status.pauseMechanism` says how the runtime holds it; ' +
      'a runtime that cannot pause answers 503 `runtime_unavailable`.',
    tags,
    auth,
    params,
    responses: [{ status: 200, description: 'The sandbox', content: [json(Sandbox)] }],
  }),
  resume: defineRoute({
    operationId: 'resumeSandbox',
    method: 'POST',
    path: `${base}/resume`,
    summary: 'Resume a paused sandbox (desiredState Running): its processes go on where they were',
    tags,
    auth,
    params,
    responses: [{ status: 200, description: 'The sandbox', content: [json(Sandbox)] }],
  }),
  exec: defineRoute({
    operationId: 'execSandbox',
    method: 'POST',
    path: `${base}/exec`,
    summary: 'Run a command to completion and return its buffered output',
    tags,
    auth,
    params,
    body: json(ExecBody),
    responses: [{ status: 200, description: 'How the process ended', content: [json(ExecResult)] }],
  }),
  execStream: defineRoute({
    operationId: 'execSandboxStream',
    method: 'POST',
    path: `${base}/exec/stream`,
    summary: 'Run a command and stream its output as NDJSON',
    description:
      'The response is application/x-ndjson: a `started` line, `stdout`/`stderr` lines as output ' +
      'arrives, then one `exit` (or `error`) line. Closing the connection kills the process.',
    tags,
    auth,
    params,
    body: json(ExecBody),
    responses: [{ status: 200, description: 'Process events', content: [ndjson(ExecStreamEvent)] }],
  }),
  readFile: defineRoute({
    operationId: 'readSandboxFile',
    method: 'GET',
    path: `${base}/files`,
    summary: 'Read a file',
    tags,
    auth,
    params,
    query: PathQuery,
    responses: [{ status: 200, description: 'The file contents', content: [binary(OCTET)] }],
  }),
  writeFile: defineRoute({
    operationId: 'writeSandboxFile',
    method: 'PUT',
    path: `${base}/files`,
    summary: 'Write a file (created or truncated; parent directories created)',
    tags,
    auth,
    params,
    query: WriteFileQuery,
    body: binary(OCTET),
    responses: [{ status: 200, description: 'The written file', content: [json(FileInfo)] }],
  }),
  removeFile: defineRoute({
    operationId: 'deleteSandboxFile',
    method: 'DELETE',
    path: `${base}/files`,
    summary: 'Delete a file, or a directory with recursive=true',
    tags,
    auth,
    params,
    query: RemoveFileQuery,
    responses: [{ status: 204, description: 'Deleted', content: [] }],
  }),
  listFiles: defineRoute({
    operationId: 'listSandboxFiles',
    method: 'GET',
    path: `${base}/files/list`,
    summary: 'List a directory',
    tags,
    auth,
    params,
    query: PathQuery,
    responses: [{ status: 200, description: 'The entries', content: [json(FileList)] }],
  }),
  statFile: defineRoute({
    operationId: 'statSandboxFile',
    method: 'GET',
    path: `${base}/files/stat`,
    summary: 'Describe a file or directory',
    tags,
    auth,
    params,
    query: PathQuery,
    responses: [{ status: 200, description: 'The file', content: [json(FileInfo)] }],
  }),
  mkdir: defineRoute({
    operationId: 'makeSandboxDirectory',
    method: 'POST',
    path: `${base}/files/mkdir`,
    summary: 'Create a directory and its parents',
    tags,
    auth,
    params,
    body: json(MkdirBody),
    responses: [{ status: 201, description: 'The directory', content: [json(FileInfo)] }],
  }),
  move: defineRoute({
    operationId: 'moveSandboxFile',
    method: 'POST',
    path: `${base}/files/move`,
    summary: 'Move or rename a file or directory',
    tags,
    auth,
    params,
    body: json(MoveBody),
    responses: [
      { status: 200, description: 'The file at its new path', content: [json(FileInfo)] },
    ],
  }),
  downloadArchive: defineRoute({
    operationId: 'downloadSandboxArchive',
    method: 'GET',
    path: `${base}/files/archive`,
    summary: 'Download a file or directory as a tar archive',
    tags,
    auth,
    params,
    query: PathQuery,
    responses: [{ status: 200, description: 'A tar archive', content: [binary(TAR)] }],
  }),
  downloadLink: defineRoute({
    operationId: 'createSandboxDownloadLink',
    method: 'POST',
    path: `${base}/files/download-link`,
    summary: 'Sign a short-lived link that downloads a file, or a tar archive, with no credential',
    description:
      'Answers a URL (relative to this origin) that GETs the file (`kind: file`) or a tar archive ' +
      'of the file or directory (`kind: archive`) without an Authorization header, for 60 seconds: ' +
      'a browser can navigate to it and stream the download to disk. The link is signed for this ' +
      'caller, this sandbox, this path and this kind; each GET re-checks that the caller may still ' +
      'see the sandbox (a revoked API key or an unshare ends it).',
    tags,
    auth,
    params,
    body: json(DownloadLinkBody),
    responses: [{ status: 200, description: 'The signed link', content: [json(DownloadLink)] }],
  }),
  downloadByLink: defineRoute({
    operationId: 'downloadSandboxFileByLink',
    method: 'GET',
    path: `${base}/files/download`,
    summary: 'Download through a signed link (no Authorization header)',
    description:
      'Streams what the link was signed for, with `Content-Disposition: attachment` (RFC 6266, the ' +
      "name RFC 5987-encoded in `filename*`): the file's bytes with its Content-Length, or a tar " +
      'archive. A link that is malformed, altered, expired, for another sandbox, or whose signer ' +
      'lost its credential answers 403 `forbidden` naming the problem (`details.reason`); a ' +
      'sandbox the signer may no longer see answers 404, as to the signer.',
    tags,
    auth: 'none',
    params,
    query: DownloadQuery,
    responses: [
      {
        status: 200,
        description: 'The file, or a tar archive',
        content: [binary(OCTET), binary(TAR)],
      },
    ],
  }),
  uploadArchive: defineRoute({
    operationId: 'uploadSandboxArchive',
    method: 'PUT',
    path: `${base}/files/archive`,
    summary: 'Extract a tar archive into a directory',
    tags,
    auth,
    params,
    query: PathQuery,
    body: binary(TAR),
    responses: [{ status: 204, description: 'Extracted', content: [] }],
  }),
  ports: defineRoute({
    operationId: 'listSandboxPorts',
    method: 'GET',
    path: `${base}/ports`,
    summary: 'List forwarded ports and their preview paths',
    tags,
    auth,
    params,
    responses: [{ status: 200, description: 'The ports', content: [json(PortList)] }],
  }),
  logs: defineRoute({
    operationId: 'getSandboxLogs',
    method: 'GET',
    path: `${base}/logs`,
    summary: "Read the main process's output; follow=true streams it as SSE",
    tags,
    auth,
    params,
    query: LogsQuery,
    responses: [
      {
        status: 200,
        description: 'text/plain, or with follow=true a text/event-stream of log lines',
        content: [text('text/plain'), sse(LogLine)],
      },
    ],
  }),
  events: defineRoute({
    operationId: 'listSandboxEvents',
    method: 'GET',
    path: `${base}/events`,
    summary: "List the sandbox's events; watch=true streams new ones as SSE",
    tags,
    auth,
    params,
    query: EventsQuery,
    responses: [
      {
        status: 200,
        description: 'An EventList, or with watch=true a text/event-stream of events',
        content: [json(EventList), sse(ResourceEvent)],
      },
    ],
  }),
  ...PROCESS_ROUTES,
} as const;

export const sandboxRouteList: readonly AnyRoute[] = Object.values(SANDBOX_ROUTES);
