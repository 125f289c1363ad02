/** Tools over sandboxes: create, list, get, stop, start, delete, exec, files, previews, logs, events. */
import type { ExecBody } from '@paddock/api';
import type { PaddockClient } from '@paddock/client';
import {
  ErrorCode,
  isErrorCode,
  PaddockError,
  type Sandbox,
  SandboxOverrides,
  SandboxPhase,
  SandboxReason,
} from '@paddock/core';
import { z } from 'zod';
import {
  defineTool,
  NamespaceInput,
  type PaddockTool,
  scopeOf,
  type ToolContext,
} from '../tool.ts';
import { findTemplate, TemplateKindInput } from './templates.ts';

const SandboxName = z.string().min(1).describe('The sandbox name');
const AbsolutePath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');
const EnvMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string());

/** The fields of a Sandbox a model needs, not the whole object. */
export const SandboxSummary = z.object({
  namespace: z.string(),
  name: z.string(),
  phase: z.string().describe('Pending, Creating, Running, Stopped, Error or Deleting'),
  template: z.string().describe('Kind/name of its template'),
  reason: z.string().optional(),
  message: z.string().optional(),
  startedAt: z.string().optional(),
  expiresAt: z.string().optional(),
});
export type SandboxSummary = z.infer<typeof SandboxSummary>;

export function summarize(sandbox: Sandbox): SandboxSummary {
  const { templateRef } = sandbox.spec;
  const status = sandbox.status;
  return {
    namespace: sandbox.metadata.namespace ?? 'default',
    name: sandbox.metadata.name ?? '',
    phase: status?.phase ?? 'Pending',
    template: `${templateRef.kind ?? 'SandboxTemplate'}/${templateRef.name}`,
    ...(status?.reason === undefined ? {} : { reason: status.reason }),
    ...(status?.message === undefined ? {} : { message: status.message }),
    ...(status?.startedAt === undefined ? {} : { startedAt: status.startedAt }),
    ...(status?.expiresAt === undefined ? {} : { expiresAt: status.expiresAt }),
  };
}

const defined = <T extends Record<string, unknown>>(value: T) =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };

/** How long create/start/stop wait for the phase asked for. */
const WAIT_TIMEOUT_MS = 120_000;

/** A sandbox in Error as the error of the call that waited for it. */
function failureOf(sandbox: Sandbox): PaddockError {
  const { status } = sandbox;
  const failed = status?.provisionFailure;
  const step = failed
    ? `; step ${failed.step} exited ${failed.exitCode ?? '?'}${failed.output ? `: ${failed.output.slice(-2000)}` : ''}`
    : '';
  const why = `${status?.reason ?? 'Error'}: ${status?.message ?? 'no message'}${step}`;
  const code =
    status?.reason === SandboxReason.PolicyViolation
      ? ErrorCode.PolicyViolation
      : ErrorCode.RuntimeUnavailable;
  return new PaddockError(code, `sandbox "${sandbox.metadata.name}" failed (${why})`, {
    reason: status?.reason ?? null,
  });
}

/**
 * Waits until the sandbox reaches `target`, sending a progress notification at each phase (and
 * reason) it passes; a sandbox that ends in Error fails the call with its reason.
 */
async function settle(
  client: PaddockClient,
  name: string,
  namespace: string | undefined,
  target: SandboxPhase,
  { signal, progress }: ToolContext,
): Promise<Sandbox> {
  const reports: Promise<void>[] = [];
  let seen = '';
  const sandbox = await client.sandboxes.waitFor(
    name,
    (s) => {
      const phase = s.status?.phase ?? SandboxPhase.Pending;
      const step = `${phase}${s.status?.reason ? ` (${s.status.reason})` : ''}`;
      if (step !== seen) {
        seen = step;
        const line = `sandbox ${name}: ${step}${s.status?.message ? `: ${s.status.message}` : ''}`;
        reports.push(progress(reports.length + 1, undefined, line).catch(() => {}));
      }
      return phase === target || phase === SandboxPhase.Error;
    },
    { ...scopeOf(namespace), signal, timeoutMs: WAIT_TIMEOUT_MS },
  );
  await Promise.all(reports);
  if (sandbox.status?.phase === SandboxPhase.Error) throw failureOf(sandbox);
  return sandbox;
}

/** At most `limit` characters: the head and the tail, with what was cut in between. */
function clip(text: string, limit: number): { text: string; isClipped: boolean } {
  if (text.length <= limit) return { text, isClipped: false };
  const half = Math.floor(limit / 2);
  const cut = text.length - 2 * half;
  return {
    text: `${text.slice(0, half)}\n…[${cut} characters omitted]…\n${text.slice(text.length - half)}`,
    isClipped: true,
  };
}

const lifecycleTools = [
  defineTool({
    name: 'sandbox_create',
    title: 'Create a sandbox',
    description:
      'Creates a sandbox (an isolated Linux environment) from a template and waits until it is Running, reporting each phase as progress. Use template_list to pick a template; overrides (env, command, timeout, …) are refused unless the template allows them. Returns the sandbox summary; a sandbox that fails (policy, provisioning) is a tool error with the reason. Each call creates a new sandbox.',
    input: z.object({
      template: z.string().min(1).describe('Template name, e.g. "shell", "python", "node"'),
      templateKind: TemplateKindInput,
      name: z
        .string()
        .min(1)
        .optional()
        .describe('Name of the new sandbox; generated from the template name when absent'),
      namespace: NamespaceInput,
      env: EnvMap.optional().describe('Extra environment variables'),
      command: z
        .array(z.string())
        .min(1)
        .optional()
        .describe('Main process argv; the sandbox idles when the template has none'),
      timeout: z.string().optional().describe('Wall-clock lifetime, e.g. "30m", "2h"; "0" = none'),
      idleTimeout: z.string().optional().describe('Stop after this long idle, e.g. "15m"'),
      overrides: SandboxOverrides.optional().describe(
        'Any other template fields to override (resources, files, init, repos, …)',
      ),
      labels: z.record(z.string(), z.string()).optional(),
    }),
    output: SandboxSummary,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    handle: async (input, context) => {
      const { client, signal } = context;
      const templateRef = await findTemplate(client, input.template, input.templateKind, {
        ...scopeOf(input.namespace),
        signal,
      });
      const env = input.env && Object.entries(input.env).map(([name, value]) => ({ name, value }));
      const overrides = defined({
        ...input.overrides,
        env: env && [...(input.overrides?.env ?? []), ...env],
        command: input.command,
        timeout: input.timeout,
        idleTimeout: input.idleTimeout,
      });
      const created = await client.sandboxes.create(
        {
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'Sandbox',
          metadata: {
            ...(input.name === undefined
              ? { generateName: `${input.template}-` }
              : { name: input.name }),
            ...(input.labels === undefined ? {} : { labels: input.labels }),
          },
          spec: {
            templateRef,
            ...(Object.keys(overrides).length === 0 ? {} : { overrides }),
          },
        },
        { ...scopeOf(input.namespace), signal },
      );
      const name = created.metadata.name ?? '';
      // Said before waiting: a sandbox may be Running by the time the wait first looks.
      await context.progress(0, undefined, `sandbox ${name}: created`);
      return summarize(await settle(client, name, input.namespace, SandboxPhase.Running, context));
    },
  }),
  defineTool({
    name: 'sandbox_stop',
    title: 'Stop a sandbox',
    description:
      'Stops a sandbox: its processes end, its workspace (files) is kept, and sandbox_start runs it again. Waits until it is Stopped, reporting progress. Use it to free resources without losing files. Returns the sandbox summary; stopping a stopped sandbox does nothing.',
    input: z.object({ name: SandboxName, namespace: NamespaceInput }),
    output: SandboxSummary,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    handle: async (input, context) => {
      await context.client.sandboxes.stop(input.name, {
        ...scopeOf(input.namespace),
        signal: context.signal,
      });
      return summarize(
        await settle(context.client, input.name, input.namespace, SandboxPhase.Stopped, context),
      );
    },
  }),
  defineTool({
    name: 'sandbox_start',
    title: 'Start a sandbox',
    description:
      'Starts a stopped sandbox again with the same workspace (background processes do not come back) and waits until it is Running, reporting progress. Returns the sandbox summary; starting a running sandbox does nothing.',
    input: z.object({ name: SandboxName, namespace: NamespaceInput }),
    output: SandboxSummary,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    handle: async (input, context) => {
      await context.client.sandboxes.start(input.name, {
        ...scopeOf(input.namespace),
        signal: context.signal,
      });
      return summarize(
        await settle(context.client, input.name, input.namespace, SandboxPhase.Running, context),
      );
    },
  }),
  defineTool({
    name: 'sandbox_delete',
    title: 'Delete a sandbox',
    description:
      'Deletes a sandbox and its workspace for good: every file in it is lost. Use sandbox_stop instead to keep the files. Returns "deleted", or "terminating" while the runtime is still tearing it down.',
    input: z.object({ name: SandboxName, namespace: NamespaceInput }),
    output: z.object({
      namespace: z.string(),
      name: z.string(),
      status: z.enum(['deleted', 'terminating']),
    }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    handle: async (input, { client, signal }) => {
      const result = await client.sandboxes.delete(input.name, {
        ...scopeOf(input.namespace),
        signal,
      });
      return {
        namespace: result.object.metadata.namespace ?? 'default',
        name: input.name,
        status: result.status,
      };
    },
  }),
];

/** Characters of each output stream a result keeps by default. */
const DEFAULT_OUTPUT_CHARS = 20_000;
/** The longest line of output one progress notification carries. */
const PROGRESS_CHUNK_CHARS = 4_000;

const execTool = defineTool({
  name: 'sandbox_exec',
  title: 'Run a command in a sandbox',
  description:
    'Runs a command in a Running sandbox and waits for it to end. `command` is an argv array (run as is) or a string (run through `sh -c`, so pipes and && work). Output is streamed as progress notifications while it runs; cancelling the call kills the process; `timeoutMs` (default 60 s) kills it too and sets timedOut. Returns exitCode (null when killed by a signal), signal, timedOut, and stdout/stderr (long output keeps its head and tail, with truncated set).',
  input: z.object({
    name: SandboxName,
    namespace: NamespaceInput,
    command: z
      .union([z.array(z.string()).min(1), z.string().min(1)])
      .describe('argv like ["ls","-la"], or a shell command line like "ls -la | head"'),
    cwd: AbsolutePath.optional().describe(
      'Working directory; the template’s (/workspace) when absent',
    ),
    env: EnvMap.optional().describe('Extra environment variables'),
    stdin: z.string().optional().describe('Text written to the standard input, then closed'),
    timeoutMs: z
      .int()
      .min(1)
      .max(60 * 60 * 1000)
      .default(60_000)
      .describe('Kill the command after this long (ms)'),
    maxOutputChars: z
      .int()
      .min(100)
      .max(1_000_000)
      .default(DEFAULT_OUTPUT_CHARS)
      .describe('Characters of stdout and of stderr to return'),
  }),
  output: z.object({
    exitCode: z.int().nullable(),
    signal: z.string().nullable(),
    timedOut: z.boolean(),
    stdout: z.string(),
    stderr: z.string(),
    truncated: z.boolean().describe('True when stdout or stderr was cut to maxOutputChars'),
    durationMs: z.number(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  handle: async (input, { client, signal, progress }) => {
    const body: ExecBody = {
      command: typeof input.command === 'string' ? ['sh', '-c', input.command] : input.command,
      timeoutMs: input.timeoutMs,
      ...defined({ cwd: input.cwd, env: input.env, stdin: input.stdin }),
    };
    const out = { stdout: '', stderr: '' };
    let chunks = 0;
    const events = client.sandboxes.execStream(input.name, body, {
      ...scopeOf(input.namespace),
      signal,
    });
    for await (const event of events) {
      switch (event.type) {
        case 'started':
          break;
        case 'stdout':
        case 'stderr':
          // Keeps at most twice the limit in memory; clip() cuts the middle at the end.
          out[event.type] = clip(out[event.type] + event.data, 2 * input.maxOutputChars).text;
          chunks += 1;
          await progress(chunks, undefined, event.data.slice(0, PROGRESS_CHUNK_CHARS));
          break;
        case 'exit': {
          const stdout = clip(out.stdout, input.maxOutputChars);
          const stderr = clip(out.stderr, input.maxOutputChars);
          return {
            exitCode: event.exitCode,
            signal: event.signal,
            timedOut: event.timedOut,
            stdout: stdout.text,
            stderr: stderr.text,
            truncated: stdout.isClipped || stderr.isClipped,
            durationMs: event.durationMs,
          };
        }
        case 'error':
          throw new PaddockError(
            isErrorCode(event.code) ? event.code : ErrorCode.Internal,
            event.message,
          );
      }
    }
    throw new PaddockError(ErrorCode.Internal, 'the exec stream ended without an exit status');
  },
});

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

const fileTools = [
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
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handle: async (input, { client, signal }) => {
      const bytes = await client.sandboxes.files.read(input.name, input.path, {
        ...scopeOf(input.namespace),
        signal,
      });
      const isCut = bytes.byteLength > input.maxBytes;
      const kept = isCut ? bytes.subarray(0, input.maxBytes) : bytes;
      const text = asText(kept, isCut);
      return {
        path: input.path,
        ...(text === undefined
          ? { encoding: 'base64' as const, content: Buffer.from(kept).toString('base64') }
          : { encoding: 'utf8' as const, content: text }),
        sizeBytes: bytes.byteLength,
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
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
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

const observeTools = [
  defineTool({
    name: 'sandbox_preview_url',
    title: 'Get preview URLs of a sandbox',
    description:
      'Gives a browser URL for each http port a sandbox declares (from its template), so a person can open a web app running in it. Each URL is signed for you and valid for 5 minutes: call again for a fresh one. tcp ports are listed without a URL. Returns the ports, or only `port` when given (not_found if it is not declared).',
    input: z.object({
      name: SandboxName,
      namespace: NamespaceInput,
      port: z.int().min(1).max(65535).optional(),
    }),
    output: z.object({
      items: z.array(
        z.object({
          name: z.string(),
          port: z.int(),
          protocol: z.enum(['http', 'tcp']),
          previewUrl: z.string().optional(),
        }),
      ),
    }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handle: async (input, { client, signal }) => {
      const ports = await client.sandboxes.ports(input.name, {
        ...scopeOf(input.namespace),
        signal,
      });
      const items = ports.items
        .filter((p) => input.port === undefined || p.port === input.port)
        .map((p) => ({
          name: p.name,
          port: p.port,
          protocol: p.protocol,
          ...(p.previewUrl === undefined ? {} : { previewUrl: p.previewUrl }),
        }));
      if (input.port !== undefined && items.length === 0) {
        const declared = ports.items.map((p) => p.port).join(', ') || 'none';
        throw new PaddockError(
          ErrorCode.NotFound,
          `port ${input.port} is not a port of sandbox ${input.name}; its template declares ${declared}`,
        );
      }
      return { items };
    },
  }),
  defineTool({
    name: 'sandbox_logs',
    title: 'Read the logs of a sandbox',
    description:
      'Reads the output (stdout and stderr) of the sandbox’s main process, the command its template or sandbox_create gave it; not the output of sandbox_exec commands. Use it to see why a server in a sandbox failed or what it printed. Returns the last `tailLines` lines.',
    input: z.object({
      name: SandboxName,
      namespace: NamespaceInput,
      tailLines: z.int().min(1).max(10_000).default(200),
    }),
    output: z.object({ text: z.string(), truncated: z.boolean() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handle: async (input, { client, signal }) => {
      const text = await client.sandboxes.logs(input.name, {
        ...scopeOf(input.namespace),
        tailLines: input.tailLines,
        signal,
      });
      const clipped = clip(text, 4 * DEFAULT_OUTPUT_CHARS);
      return { text: clipped.text, truncated: clipped.isClipped };
    },
  }),
  defineTool({
    name: 'sandbox_events',
    title: 'List the events of a sandbox',
    description:
      'Lists what happened to a sandbox, oldest first: admission, each provisioning step, start, stop, timeouts, failures (Warning). Use it to find out why a sandbox is in Error or stopped. Returns the last `limit` events with type (Normal or Warning), reason, message and time.',
    input: z.object({
      name: SandboxName,
      namespace: NamespaceInput,
      limit: z.int().min(1).max(1000).default(100),
    }),
    output: z.object({
      items: z.array(
        z.object({
          type: z.enum(['Normal', 'Warning']),
          reason: z.string(),
          message: z.string(),
          timestamp: z.string(),
        }),
      ),
    }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handle: async (input, { client, signal }) => {
      const events = await client.sandboxes.events(input.name, {
        ...scopeOf(input.namespace),
        signal,
      });
      return {
        items: events.items
          .slice(-input.limit)
          .map(({ type, reason, message, timestamp }) => ({ type, reason, message, timestamp })),
      };
    },
  }),
];

export const sandboxTools: PaddockTool[] = [
  defineTool({
    name: 'sandbox_list',
    title: 'List sandboxes',
    description:
      'Lists the sandboxes you can see (yours and those shared with you), with their phase and template. Use it to find a sandbox before working in it. Returns up to `limit` sandboxes and a `continue` token when there are more.',
    input: z.object({
      namespace: NamespaceInput,
      labelSelector: z.string().optional().describe('Kubernetes label selector, e.g. "app=web"'),
      limit: z.int().min(1).max(500).optional(),
      continue: z.string().optional().describe('The token a previous call returned'),
    }),
    output: z.object({ items: z.array(SandboxSummary), continue: z.string().optional() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handle: async (input, { client, signal }) => {
      const list = await client.sandboxes.list({
        ...scopeOf(input.namespace),
        ...(input.labelSelector === undefined ? {} : { labelSelector: input.labelSelector }),
        ...(input.limit === undefined ? {} : { limit: input.limit }),
        ...(input.continue === undefined ? {} : { continue: input.continue }),
        signal,
      });
      return {
        items: list.items.map(summarize),
        ...(list.metadata.continue === undefined ? {} : { continue: list.metadata.continue }),
      };
    },
  }),
  defineTool({
    name: 'sandbox_get',
    title: 'Get a sandbox',
    description:
      "Tells one sandbox's phase, template, timestamps and, when it failed, why (reason, message). Use it to check whether a sandbox is Running before exec or file calls.",
    input: z.object({ name: z.string().min(1), namespace: NamespaceInput }),
    output: SandboxSummary,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handle: async (input, { client, signal }) =>
      summarize(await client.sandboxes.get(input.name, { ...scopeOf(input.namespace), signal })),
  }),
  ...lifecycleTools,
  execTool,
  ...fileTools,
  ...observeTools,
];
