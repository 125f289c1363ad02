import type { UsageReport } from '@paddock/api';
import { UsageGroupBy } from '@paddock/api';
import { stringify } from 'yaml';
import { z } from 'zod';
import { type Issue, OutputFormat, usageError } from '../cli-options.ts';
import type { Command } from '../command.ts';
import { type Column, formatTable } from '../output.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: DAY_MS } as const;

/** `2025-03-01T00:00:00Z`, `2025-03-01` (UTC midnight), or an age before now: `30m`, `12h`, `7d`. */
function timeFlag(now: Date) {
  return z
    .string()
    .min(1, 'must not be empty')
    .transform((text, ctx) => {
      const age = /^(\d+)([mhd])$/.exec(text);
      if (age) {
        const unit = age[2] as keyof typeof UNIT_MS;
        return new Date(now.getTime() - Number(age[1]) * UNIT_MS[unit]).toISOString();
      }
      const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
      const ms = Date.parse(day);
      if (!/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(day) || Number.isNaN(ms)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be a time (2025-03-01T12:00:00Z), a day (2025-03-01) or an age (7d, 12h, 30m)',
        });
        return z.NEVER;
      }
      return new Date(ms).toISOString();
    });
}

function usageFlags(now: Date) {
  return z.object({
    since: timeFlag(now).optional(),
    until: timeFlag(now).optional(),
    'group-by': UsageGroupBy.optional(),
    user: z.string().min(1, 'must not be empty').optional(),
  });
}

const usd = (amount: number) =>
  `$${amount.toFixed(amount !== 0 && Math.abs(amount) < 0.01 ? 6 : 2)}`;

type Row = {
  key: string;
  costUsd: number;
  calls: number;
  inputTokens: number;
  outputTokens: number;
};

const COLUMNS = (first: string): Column<Row>[] => [
  { header: first, value: (r) => r.key },
  { header: 'COST', value: (r) => usd(r.costUsd) },
  { header: 'CALLS', value: (r) => String(r.calls) },
  { header: 'INPUT TOKENS', value: (r) => String(r.inputTokens) },
  { header: 'OUTPUT TOKENS', value: (r) => String(r.outputTokens) },
];

/** The report for people: by key with `--group-by`, else by day; the total; the budgets. */
export function usageTable(report: UsageReport): string {
  const rows: Row[] =
    report.groups === undefined
      ? report.days.map((d) => ({ key: d.day, ...d.usage }))
      : report.groups.map((g) => ({ key: g.key === '' ? '(none)' : g.key, ...g.usage }));
  const header = report.groupBy === undefined ? 'DAY' : report.groupBy.toUpperCase();
  let text = formatTable(COLUMNS(header), [...rows, { key: 'TOTAL', ...report.total }]);
  text += `${report.total.runs} runs, ${Math.round(report.total.sandboxSeconds / 60)} sandbox-minutes from ${report.since} to ${report.until}\n`;
  if (report.budgets.length > 0) {
    const budgets: Column<UsageReport['budgets'][number]>[] = [
      { header: 'BUDGET', value: (b) => `${b.scope}/${b.key}` },
      { header: 'DAY', value: (b) => b.day },
      { header: 'SPENT', value: (b) => usd(b.spentUsd) },
      { header: 'LIMIT', value: (b) => usd(b.limitUsd) },
      {
        header: 'USED',
        value: (b) => (b.limitUsd > 0 ? `${Math.round((b.spentUsd / b.limitUsd) * 100)}%` : '-'),
      },
    ];
    text += `\n${formatTable(budgets, report.budgets)}`;
  }
  return text;
}

export const usageCommand: Command = {
  path: ['usage'],
  flags: ['since', 'until', 'group-by', 'user'],
  help: `Usage: paddock usage [--since TIME] [--until TIME] [--group-by namespace|user|agent|model]
                     [--user ID] [-n NS] [-o table|json|yaml]

Model cost, tokens and calls from the gateway's ledger, with the runs created and the sandbox time
in the window: by UTC day, or by namespace, user, agent or model with --group-by (the top spender
first), then the total and each daily budget's spend on the window's last day. The window is
today (UTC) by default; TIME is 2025-03-01T12:00:00Z, a day (2025-03-01, its UTC midnight) or an
age (30m, 12h, 7d before now); --until must come after --since. -n narrows to one namespace (all
by default); users see only their own usage, admins everyone's (--user narrows).

Example:
  paddock usage --since 7d --group-by model
  paddock usage --since 2025-03-01 --until 2025-04-01 -n team -o json
`,
  async run({ args, invocation, settings, client, io }) {
    const issues: Issue[] = args.map((a) => ({ path: a, message: 'unexpected argument' }));
    if (settings.output === OutputFormat.Name) {
      issues.push({ path: '--output', message: 'must be table, json or yaml' });
    }
    const flags = usageFlags(io.now()).safeParse({
      since: invocation.flags.since,
      until: invocation.flags.until,
      'group-by': invocation.flags['group-by'],
      user: invocation.flags.user,
    });
    for (const issue of flags.error?.issues ?? []) {
      issues.push({ path: `--${String(issue.path[0] ?? '')}`, message: issue.message });
    }
    if (issues.length > 0 || !flags.success) throw usageError(issues);
    const { since, until, user } = flags.data;
    const groupBy = flags.data['group-by'];
    const namespace = invocation.flags.namespace;
    const report = await client.usage({
      ...(since !== undefined && { since }),
      ...(until !== undefined && { until }),
      ...(groupBy !== undefined && { groupBy }),
      ...(user !== undefined && { user }),
      ...(typeof namespace === 'string' && { namespace }),
    });
    switch (settings.output) {
      case OutputFormat.Json:
        io.stdout(`${JSON.stringify(report, null, 2)}\n`);
        break;
      case OutputFormat.Yaml:
        io.stdout(stringify(report));
        break;
      default:
        io.stdout(usageTable(report));
    }
    return 0;
  },
};
