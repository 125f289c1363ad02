/** Tools about Paddock itself: who am I, health, doctor. */
import { isPaddockError, PolicySpec } from '@paddock/core';
import { z } from 'zod';
import { defineTool, type PaddockTool, READ_ONLY } from '../tool.ts';

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/** A probe's outcome: what it found, or the code and message of why it could not. */
async function probe<T>(
  run: () => Promise<T>,
): Promise<
  | { ok: true; value: T }
  | { ok: false; code: string; message: string; details?: Record<string, unknown> }
> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (!isPaddockError(error)) throw error;
    return { ok: false, code: error.code, message: error.message, details: error.details };
  }
}

const Check = z.object({ ok: z.boolean(), message: z.string().optional() });

export const systemTools: PaddockTool[] = [
  defineTool({
    name: 'whoami',
    title: 'Who am I',
    description:
      'Tells who Paddock takes you for: your user id, role (admin or user) and how you were authenticated (API key, OIDC, …), and the namespace this connection uses by default. Use it to know whose rights your calls run with.',
    input: z.object({}),
    output: z.object({
      id: z.string(),
      role: z.string().describe('admin sees and manages everything; user only their own'),
      authMethod: z.string().describe('apikey, oidc, anonymous or sandbox-token'),
      name: z.string().optional(),
      email: z.string().optional(),
      groups: z.array(z.string()).optional(),
      namespace: z.string().describe('The default namespace of this connection'),
    }),
    annotations: READ_ONLY,
    handle: async (_input, { client, signal }) => {
      const me = await client.me({ signal });
      return {
        id: me.id,
        role: me.role,
        authMethod: me.authMethod,
        ...optional('name', me.name),
        ...optional('email', me.email),
        ...optional('groups', me.groups),
        namespace: client.namespace,
      };
    },
  }),
  defineTool({
    name: 'doctor',
    title: 'Check Paddock',
    description:
      "Checks the Paddock server: whether it is alive and ready (its store, sandbox runtime and audit log each answer), its API version, how it signs people in, and the limits that apply to you in this connection's namespace (the effective policy). Use it when calls fail unexpectedly (runtime_unavailable, timeouts) or before a long task. `problems` lists what is wrong, empty when all is well.",
    input: z.object({}),
    output: z.object({
      isHealthy: z.boolean().describe('The server answers /healthz'),
      isReady: z.boolean().describe('Store, runtime and audit log all answer (/readyz)'),
      checks: z.record(z.string(), Check).describe('Each readiness check'),
      apiVersion: z.string().optional(),
      authMethods: z.array(z.string()).optional(),
      namespace: z.string(),
      limits: PolicySpec.optional().describe('The effective policy of the namespace'),
      problems: z.array(z.string()),
    }),
    annotations: READ_ONLY,
    handle: async (_input, { client, signal }) => {
      const [health, ready, openapi, auth, policy] = await Promise.all([
        probe(() => client.health({ signal })),
        probe(() => client.ready({ signal })),
        probe(() => client.openapi({ signal })),
        probe(() => client.authConfig({ signal })),
        probe(() => client.policy.effective({ signal })),
      ]);
      signal.throwIfAborted();
      const problems: string[] = [];
      for (const [what, result] of Object.entries({ health, ready, openapi, auth, policy })) {
        if (!result.ok) problems.push(`${what}: ${result.code}: ${result.message}`);
      }
      const checks = ready.ok
        ? ready.value.checks
        : z.record(z.string(), Check).catch({}).parse(ready.details?.checks);
      const info = openapi.ok
        ? z.object({ version: z.string() }).safeParse(openapi.value.info)
        : undefined;
      return {
        isHealthy: health.ok,
        isReady: ready.ok,
        checks,
        ...optional('apiVersion', info?.success ? info.data.version : undefined),
        ...optional('authMethods', auth.ok ? auth.value.methods : undefined),
        namespace: client.namespace,
        ...optional('limits', policy.ok ? policy.value.spec : undefined),
        problems,
      };
    },
  }),
];
