/**
 * Resources: a sandbox's files (`paddock://sandboxes/{namespace}/{name}/files/{+path}`) and a
 * run's transcript (`paddock://runs/{namespace}/{name}/transcript`), read through the REST API as
 * the caller. While a session lives, a watch on the caller's sandboxes and runs tells the client
 * when the list of resources changed (one came or went).
 */
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Variables } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import {
  McpError,
  ErrorCode as McpErrorCode,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import type { PaddockClient } from '@paddock/client';
import {
  ErrorCode,
  isPaddockError,
  PaddockError,
  TranscriptEventType,
  WatchEventType,
} from '@paddock/core';
import { readFileHead } from './file-head.ts';

export const SANDBOX_FILES_TEMPLATE = 'paddock://sandboxes/{namespace}/{name}/files/{+path}';
export const RUN_TRANSCRIPT_TEMPLATE = 'paddock://runs/{namespace}/{name}/transcript';

/** A file larger than this is refused as a resource (a tool or `paddock sandbox cp` moves it). */
export const MAX_RESOURCE_BYTES = 1024 * 1024;
/** At most this many transcript events in one read (the newest are kept). */
export const MAX_TRANSCRIPT_EVENTS = 5_000;
/** At most this many sandboxes and runs in a `resources/list` answer (the newest first). */
const MAX_LISTED = 100;

/** The URI of a file or directory (absolute `path`) in a sandbox. */
export function sandboxFileUri(namespace: string, name: string, path: string): string {
  const segments = path.split('/').filter((s) => s !== '');
  return `paddock://sandboxes/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/files/${segments.map(encodeURIComponent).join('/')}`;
}

export function runTranscriptUri(namespace: string, name: string): string {
  return `paddock://runs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/transcript`;
}

/** MCP's "resource not found" (the spec's -32002); other Paddock failures carry their code too. */
const RESOURCE_NOT_FOUND = -32002;

function resourceError(error: unknown): McpError {
  if (error instanceof McpError) return error;
  if (!isPaddockError(error)) {
    return new McpError(McpErrorCode.InternalError, 'internal: internal error', {
      code: 'internal',
    });
  }
  const isMissing = error.code === ErrorCode.NotFound || error.code.endsWith('_not_found');
  return new McpError(
    isMissing ? RESOURCE_NOT_FOUND : McpErrorCode.InvalidParams,
    `${error.code}: ${error.message}`,
    { code: error.code },
  );
}

function variable(variables: Variables, name: string): string {
  const value = variables[name];
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    throw new PaddockError(ErrorCode.ValidationFailed, `${name} is not a valid URI component`);
  }
}

const TEXT_TYPES: Readonly<Record<string, string>> = {
  md: 'text/markdown',
  json: 'application/json',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  html: 'text/html',
  css: 'text/css',
  js: 'text/javascript',
  ts: 'text/x-typescript',
  py: 'text/x-python',
  sh: 'text/x-shellscript',
};

function mimeTypeOf(path: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return (ext === undefined ? undefined : TEXT_TYPES[ext]) ?? 'text/plain';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file past what one resource message carries: `payload_too_large` naming the bound. */
function tooLargeResource(path: string, sizeBytes: number): PaddockError {
  return new PaddockError(
    ErrorCode.PayloadTooLarge,
    `${path} is ${sizeBytes} bytes, more than the ${MAX_RESOURCE_BYTES} a resource carries; read its start with sandbox_read_file (maxBytes), or parts of it with a command`,
    { path, limitBytes: MAX_RESOURCE_BYTES },
  );
}

async function readSandboxPath(
  client: PaddockClient,
  uri: URL,
  variables: Variables,
  signal: AbortSignal,
): Promise<ReadResourceResult> {
  const namespace = variable(variables, 'namespace');
  const name = variable(variables, 'name');
  const path = `/${variable(variables, 'path')}`;
  const scope = { namespace, signal };
  const info = await client.sandboxes.files.stat(name, path, scope);
  if (info.type === 'directory') {
    const list = await client.sandboxes.files.list(name, path, scope);
    const entries = list.items.map((item) => ({
      name: item.name,
      type: item.type,
      sizeBytes: item.sizeBytes,
      modifiedAt: item.modifiedAt,
      uri: sandboxFileUri(namespace, name, `${path}/${item.name}`),
    }));
    return {
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ path, entries }, null, 2),
        },
      ],
    };
  }
  if (info.sizeBytes > MAX_RESOURCE_BYTES) throw tooLargeResource(path, info.sizeBytes);
  // Read again within the bound: the file may have grown since it was sized.
  const head = await readFileHead(client, name, path, scope, MAX_RESOURCE_BYTES + 1);
  if (head.sizeBytes > MAX_RESOURCE_BYTES) throw tooLargeResource(path, head.sizeBytes);
  const { bytes } = head;
  try {
    return { contents: [{ uri: uri.href, mimeType: mimeTypeOf(path), text: utf8.decode(bytes) }] };
  } catch {
    return {
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/octet-stream',
          blob: Buffer.from(bytes).toString('base64'),
        },
      ],
    };
  }
}

/** The transcript as JSON Lines, one stored event a line; streamed text deltas are left out. */
async function readTranscript(
  client: PaddockClient,
  uri: URL,
  variables: Variables,
  signal: AbortSignal,
): Promise<ReadResourceResult> {
  const namespace = variable(variables, 'namespace');
  const name = variable(variables, 'name');
  const lines: string[] = [];
  let afterSeq = 0;
  let phase = '';
  for (;;) {
    const page = await client.runs.events(name, { namespace, afterSeq, limit: 1000, signal });
    phase = page.phase;
    for (const event of page.items) {
      if (event.type !== TranscriptEventType.AssistantDelta) lines.push(JSON.stringify(event));
    }
    const last = page.items.at(-1);
    if (last === undefined || page.items.length < 1000) break;
    afterSeq = last.seq;
  }
  const kept = lines.slice(-MAX_TRANSCRIPT_EVENTS);
  const header = {
    run: `${namespace}/${name}`,
    phase,
    events: kept.length,
    ...(kept.length < lines.length ? { omittedEarliest: lines.length - kept.length } : {}),
  };
  return {
    contents: [
      {
        uri: uri.href,
        mimeType: 'application/x-ndjson',
        text: [JSON.stringify(header), ...kept].join('\n'),
      },
    ],
  };
}

function newestFirst<T extends { metadata: { creationTimestamp?: string | undefined } }>(
  items: readonly T[],
): T[] {
  return [...items]
    .sort((a, b) =>
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
    )
    .slice(0, MAX_LISTED);
}

/** Registers the resource templates on `server`; their reads and lists go through `client`. */
/** A read whose Paddock error becomes the resource error MCP clients understand. */
async function translated<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    throw resourceError(error);
  }
}

export function registerResources(server: McpServer, client: PaddockClient): void {
  server.registerResource(
    'sandbox_files',
    new ResourceTemplate(SANDBOX_FILES_TEMPLATE, {
      // Each Running sandbox's workspace: a directory listing whose entries name their own URIs.
      list: async (extra) => {
        const { items } = await client.sandboxes.list({
          allNamespaces: true,
          signal: extra.signal,
        });
        const resources: Resource[] = newestFirst(items)
          .filter((s) => s.status?.phase === 'Running')
          .map((s) => {
            const namespace = s.metadata.namespace ?? 'default';
            const name = s.metadata.name ?? '';
            return {
              uri: sandboxFileUri(namespace, name, '/workspace'),
              name: `${namespace}/${name}:/workspace`,
              title: `Workspace of sandbox ${namespace}/${name}`,
              mimeType: 'application/json',
            };
          });
        return { resources };
      },
    }),
    {
      title: 'Sandbox files',
      description:
        'A file or directory inside a sandbox, by absolute path (paddock://sandboxes/default/web/files/workspace/app.py is /workspace/app.py). A file reads as its text (or base64 when binary, up to 1 MiB); a directory reads as a JSON listing whose entries carry their own URIs.',
    },
    (uri, variables, extra) => translated(readSandboxPath(client, uri, variables, extra.signal)),
  );
  server.registerResource(
    'run_transcript',
    new ResourceTemplate(RUN_TRANSCRIPT_TEMPLATE, {
      list: async (extra) => {
        const { items } = await client.runs.list({ allNamespaces: true, signal: extra.signal });
        const resources: Resource[] = newestFirst(items).map((run) => {
          const namespace = run.metadata.namespace ?? 'default';
          const name = run.metadata.name ?? '';
          return {
            uri: runTranscriptUri(namespace, name),
            name: `${namespace}/${name} transcript`,
            title: `Transcript of run ${namespace}/${name} (${run.status?.phase ?? 'Pending'})`,
            mimeType: 'application/x-ndjson',
          };
        });
        return { resources };
      },
    }),
    {
      title: 'Run transcript',
      description:
        "A run's transcript as JSON Lines: a first line with the run and its phase, then one event a line (prompt, assistant messages, tool calls and results, model calls, usage, errors, run.finished) in order.",
    },
    (uri, variables, extra) => translated(readTranscript(client, uri, variables, extra.signal)),
  );
  watchForListChanges(server, client);
}

/**
 * From the handshake until the session closes: a watch on the caller's sandboxes and runs;
 * each one that comes or goes sends `notifications/resources/list_changed`.
 */
function watchForListChanges(server: McpServer, client: PaddockClient): void {
  const stop = new AbortController();
  const low = server.server;
  const priorInitialized = low.oninitialized;
  low.oninitialized = () => {
    priorInitialized?.();
    if (stop.signal.aborted) return;
    void watchKind(client, 'Sandbox', stop.signal, () => server.sendResourceListChanged());
    void watchKind(client, 'Run', stop.signal, () => server.sendResourceListChanged());
  };
  const priorClose = low.onclose;
  low.onclose = () => {
    stop.abort();
    priorClose?.();
  };
}

async function watchKind(
  client: PaddockClient,
  kind: 'Sandbox' | 'Run',
  signal: AbortSignal,
  changed: () => void,
): Promise<void> {
  try {
    const resources = client.resources(kind);
    // From the list's version: the objects there already are no change.
    const list = await resources.list({ allNamespaces: true, limit: 1, signal });
    const resourceVersion = list.metadata.resourceVersion;
    for await (const event of resources.watch({
      allNamespaces: true,
      signal,
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    })) {
      if (event.type !== WatchEventType.Modified) changed();
    }
  } catch {
    // The session ended (aborted), or the caller may no longer watch (a revoked key): no more
    // notifications; reads still answer (or fail) on their own.
  }
}
