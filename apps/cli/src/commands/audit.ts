import type { Operations } from '@paddock/client';
import { z } from 'zod';
import { type Issue, usageError } from '../cli-options.ts';
import type { Command } from '../command.ts';
import { type Column, formatAge, formatList } from '../output.ts';

type AuditRecord = Operations['listAuditRecords']['result']['items'][number];

const AuditFlags = z.object({
  actor: z.string().min(1, 'must not be empty').optional(),
  action: z.string().min(1, 'must not be empty').optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be 1 to 1000')
    .max(1000, 'must be 1 to 1000')
    .optional(),
});

function auditColumns(now: Date): Column<AuditRecord>[] {
  return [
    { header: 'AGE', value: (r) => formatAge(r.time, now) },
    { header: 'ACTOR', value: (r) => r.actor },
    { header: 'ACTION', value: (r) => r.action },
    { header: 'TARGET', value: (r) => r.target },
    { header: 'RESULT', value: (r) => (r.code ? `${r.result} (${r.code})` : r.result) },
  ];
}

export const auditCommand: Command = {
  path: ['audit'],
  flags: ['actor', 'action', 'limit'],
  help: `Usage: paddock audit [--actor ACTOR] [--action ACTION] [--limit N] [-o table|json|yaml|name]

Lists audit records, newest first: AGE, ACTOR, ACTION, TARGET, RESULT. ACTOR is user:<id>,
apikey:<id>, anonymous or system; ACTION is sandbox.create, sandbox.exec, …; N is 1 to 1000.

Example:
  paddock audit --action sandbox.exec --limit 20
`,
  async run({ args, invocation, settings, client, io }) {
    const issues: Issue[] = args.map((a) => ({ path: a, message: 'unexpected argument' }));
    const flags = AuditFlags.safeParse({
      actor: invocation.flags.actor,
      action: invocation.flags.action,
      limit: invocation.flags.limit,
    });
    for (const issue of flags.error?.issues ?? []) {
      issues.push({ path: `--${String(issue.path[0] ?? '')}`, message: issue.message });
    }
    if (issues.length > 0 || !flags.success) throw usageError(issues);
    const { actor, action, limit } = flags.data;
    const records = await client.audit.list({
      ...(actor !== undefined && { actor }),
      ...(action !== undefined && { action }),
      ...(limit !== undefined && { limit }),
    });
    io.stdout(
      formatList(records, {
        format: settings.output,
        columns: auditColumns(io.now()),
        nameOf: (r) => `auditrecord/${r.id}`,
        empty: 'No audit records found.\n',
      }),
    );
    return 0;
  },
};
