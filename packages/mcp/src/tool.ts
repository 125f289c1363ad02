/**
 * How a Paddock tool is declared: a name, a description written for a model, zod schemas for
 * its input and its structured output, MCP annotations, and a handler that calls the REST API
 * through `@paddock/client` as the caller (so every rule and the audit record are the API's).
 * A failure comes back as a tool error carrying Paddock's error code, never as a protocol error.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import type { PaddockClient } from '@paddock/client';
import { isPaddockError } from '@paddock/core';
import { z } from 'zod';

/** What a tool's handler gets besides its input. */
export type ToolContext = {
  /** The REST API as the caller. */
  client: PaddockClient;
  /** Aborted when the client cancels the call (or the session ends). */
  signal: AbortSignal;
  /**
   * Reports progress when the caller asked for it (a `progressToken`); a no-op otherwise.
   * `message` is shown to people (a line of output, a phase).
   */
  progress(progress: number, total?: number, message?: string): Promise<void>;
};

export type PaddockTool<
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodObject = z.ZodObject,
> = {
  /** snake_case: `sandbox_create`. */
  name: string;
  title: string;
  /** For a model: what it does, when to use it, what it returns. */
  description: string;
  input: I;
  output: O;
  annotations: Required<
    Pick<ToolAnnotations, 'readOnlyHint' | 'destructiveHint' | 'idempotentHint'>
  > &
    Pick<ToolAnnotations, 'openWorldHint'>;
  handle(input: z.output<I>, context: ToolContext): Promise<z.input<O>>;
};

/** Declares a tool, keeping its input and output types tied to its schemas. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: PaddockTool<I, O>,
): PaddockTool<I, O> {
  return tool;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

function progressOf(extra: Extra): ToolContext['progress'] {
  const token = extra._meta?.progressToken;
  if (token === undefined) return async () => {};
  return async (progress, total, message) => {
    await extra.sendNotification({
      method: 'notifications/progress',
      params: {
        progressToken: token,
        progress,
        ...(total === undefined ? {} : { total }),
        ...(message === undefined ? {} : { message }),
      },
    });
  };
}

/** Where a tool error's Paddock error (`{code, message, violations?}`) rides, in `_meta`. */
export const ERROR_META_KEY = 'paddock.dev/error';

export type ToolErrorInfo = { code: string; message: string; violations?: unknown[] };

/**
 * A failure as a tool error: `code: message` for the model, and the code in `_meta` for programs
 * (not in `structuredContent`, which clients check against the tool's output schema even on an
 * error).
 */
export function toolError(error: unknown): CallToolResult {
  const code = isPaddockError(error) ? error.code : 'internal';
  const message = isPaddockError(error)
    ? error.message
    : error instanceof Error && error.name === 'AbortError'
      ? 'the call was cancelled'
      : 'internal error';
  const details = isPaddockError(error) ? error.details : undefined;
  const violations = Array.isArray(details?.violations) ? details.violations : undefined;
  const info: ToolErrorInfo = { code, message, ...(violations ? { violations } : {}) };
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}` }],
    _meta: { [ERROR_META_KEY]: info },
  };
}

/** The Paddock error of a tool result, when it is one. */
export function toolErrorOf(result: {
  isError?: unknown;
  _meta?: unknown;
}): ToolErrorInfo | undefined {
  if (result.isError !== true) return undefined;
  const meta = result._meta as Record<string, unknown> | undefined;
  return meta?.[ERROR_META_KEY] as ToolErrorInfo | undefined;
}

/** Registers tools on a server; each call gets the client `clientFor` gives for its session. */
export function registerTools(
  server: McpServer,
  tools: readonly PaddockTool[],
  client: PaddockClient,
): void {
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (input: unknown, extra: Extra): Promise<CallToolResult> => {
        try {
          const result = await tool.handle(tool.input.parse(input), {
            client,
            signal: extra.signal,
            progress: progressOf(extra),
          });
          const structured = tool.output.parse(result) as Record<string, unknown>;
          return {
            content: [{ type: 'text', text: JSON.stringify(structured, null, 2) }],
            structuredContent: structured,
          };
        } catch (error) {
          return toolError(error);
        }
      },
    );
  }
}

/** A tool's optional `namespace` input. */
export const NamespaceInput = z
  .string()
  .min(1)
  .optional()
  .describe('The namespace; the default one of this connection (usually "default") when absent');

/** The client's scope option for an optional namespace (the connection's default when absent). */
export const scopeOf = (namespace: string | undefined) =>
  namespace === undefined ? {} : { namespace };

/** The annotations of a tool that only reads. */
export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
} as const;
