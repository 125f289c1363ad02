/** Tools over governance: the effective policy, usage, audit records, credential names. */
import { UsageGroupBy, UsageReport } from '@paddock/api';
import { PolicySpec } from '@paddock/core';
import { z } from 'zod';
import { defineTool, NamespaceInput, type PaddockTool, READ_ONLY } from '../tool.ts';

const Timestamp = z.iso.datetime({ offset: true });

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

export const governanceTools: PaddockTool[] = [
  defineTool({
    name: 'policy_effective',
    title: 'Effective policy',
    description:
      "Tells the governance limits in force in a namespace: the cluster default merged with the namespace's override (sandbox counts, cpu/memory/storage caps, timeouts, allowed templates, approved image registries, egress domains, run budgets, concurrent runs), which of the two set each field, and what is already held or spent today. Use it before creating sandboxes or runs to stay within the limits; an absent field sets no limit.",
    input: z.object({ namespace: NamespaceInput }),
    output: z.object({
      namespace: z.string(),
      limits: PolicySpec,
      sources: z
        .record(z.string(), z.string())
        .describe('Field → ClusterPolicy/default or Policy/default'),
      usage: z.object({
        namespaceSandboxes: z.int(),
        userSandboxes: z.int(),
        namespaceSpentTodayUsd: z.number(),
        userSpentTodayUsd: z.number(),
      }),
    }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const policy = await client.policy.effective({
        ...optional('namespace', input.namespace),
        signal,
      });
      return {
        namespace: policy.namespace,
        limits: policy.spec,
        sources: policy.sources,
        usage: policy.usage,
      };
    },
  }),
  defineTool({
    name: 'usage',
    title: 'Usage and cost',
    description:
      "Totals of tokens, cost in USD, model calls, runs and sandbox time over a window (today, UTC, by default), optionally grouped by namespace, user, agent or model and filtered to one namespace or user; every UTC day of the window (its cost split by the grouping), and the burn-down of the daily budgets in force on the window's last day. Admins see everyone; users their own. Use it to know what has been spent, and what remains of a budget, before starting more runs.",
    input: z.object({
      since: Timestamp.optional().describe('Start of the window (RFC 3339, inclusive)'),
      until: Timestamp.optional().describe('End of the window (RFC 3339, exclusive)'),
      groupBy: UsageGroupBy.optional(),
      namespace: z.string().min(1).optional().describe('Only this namespace'),
      user: z
        .string()
        .min(1)
        .optional()
        .describe("Only this user's calls and runs (admins; a user sees only their own)"),
    }),
    output: UsageReport,
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) =>
      client.usage(
        {
          ...optional('since', input.since),
          ...optional('until', input.until),
          ...optional('groupBy', input.groupBy),
          ...optional('namespace', input.namespace),
          ...optional('user', input.user),
        },
        { signal },
      ),
  }),
  defineTool({
    name: 'audit_query',
    title: 'Query the audit log',
    description:
      'Reads audit records, newest first: who (actor) did what (action, e.g. sandbox.create, sandbox.exec, run.create) to which target (Kind/namespace/name), with what result (success, failure, denied) and error code. Admins see every record; users the records of their own actions. Returns up to `limit` records and a `continue` token when there are more.',
    input: z.object({
      actor: z.string().min(1).optional().describe('e.g. user:alice'),
      action: z.string().min(1).optional().describe('e.g. sandbox.create'),
      target: z.string().min(1).optional().describe('e.g. Sandbox/default/my-box'),
      result: z.enum(['success', 'failure', 'denied']).optional(),
      since: Timestamp.optional(),
      until: Timestamp.optional(),
      limit: z.int().min(1).max(1000).optional().describe('Default 50'),
      continue: z.string().min(1).optional().describe('The token a previous call returned'),
    }),
    output: z.object({
      items: z.array(
        z.object({
          time: z.string(),
          actor: z.string(),
          action: z.string(),
          target: z.string(),
          result: z.string(),
          code: z.string().optional(),
          requestId: z.string(),
          details: z.record(z.string(), z.unknown()).optional(),
        }),
      ),
      continue: z.string().optional(),
    }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const query = {
        ...optional('actor', input.actor),
        ...optional('action', input.action),
        ...optional('target', input.target),
        ...optional('result', input.result),
        ...optional('since', input.since),
        ...optional('until', input.until),
        ...optional('continue', input.continue),
        limit: input.limit ?? 50,
      };
      const list = await client.audit.list(query, { signal });
      return {
        items: list.items.map((record) => ({
          time: record.time,
          actor: record.actor,
          action: record.action,
          target: record.target,
          result: record.result,
          ...optional('code', record.code),
          requestId: record.requestId,
          ...optional('details', record.details),
        })),
        ...optional('continue', list.metadata.continue),
      };
    },
  }),
  defineTool({
    name: 'credential_list',
    title: 'List credentials',
    description:
      'Lists the credentials (named secrets: provider API keys, env values, login directories) of a namespace by name and type, never their values. Admins see all; users their own. Use it to name a credential in an agent (agent_create `credentials`) or a repo.',
    input: z.object({
      namespace: NamespaceInput,
      limit: z.int().min(1).max(1000).optional(),
      continue: z.string().min(1).optional().describe('The token a previous call returned'),
    }),
    output: z.object({
      items: z.array(
        z.object({
          name: z.string(),
          namespace: z.string(),
          type: z.string().describe('apiKey, env or files'),
          description: z.string().optional(),
          owner: z.string(),
          updatedAt: z.string(),
        }),
      ),
      continue: z.string().optional(),
    }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const list = await client.credentials.list(
        { ...optional('limit', input.limit), ...optional('continue', input.continue) },
        { ...optional('namespace', input.namespace), signal },
      );
      return {
        items: list.items.map((c) => ({
          name: c.name,
          namespace: c.namespace,
          type: c.type,
          ...optional('description', c.description || undefined),
          owner: c.owner,
          updatedAt: c.updatedAt,
        })),
        ...optional('continue', list.metadata.continue),
      };
    },
  }),
];
