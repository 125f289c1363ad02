/** Tools that look at a sandbox from outside: preview URLs, logs, events. */
import { ErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';
import { defineTool, NamespaceInput, type PaddockTool, READ_ONLY, scopeOf } from '../tool.ts';
import { clip, DEFAULT_OUTPUT_CHARS } from './output-clip.ts';
import { SandboxName } from './sandbox-inputs.ts';

export const sandboxObserveTools: PaddockTool[] = [
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
    annotations: READ_ONLY,
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
    annotations: READ_ONLY,
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
    annotations: READ_ONLY,
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
