import type { EffectivePolicy, PolicyCheckResult } from '@paddock/api';
import { ErrorCode, PaddockError, type Sandbox } from '@paddock/core';
import { stringify } from 'yaml';
import { OutputFormat } from '../cli-options.ts';
import type { Command } from '../command.ts';
import { formatTable } from '../output.ts';
import { readManifests } from './read-manifests.ts';

type Row = { field: string; limit: string; used: string; source: string };

const BAR_CELLS = 5;

/** `▇▇▇▁▁ 3/5`: how much of a limit is used, in five cells. */
export function usageBar(
  used: number,
  limit: number,
  show: (n: number) => string = String,
): string {
  const ratio = limit > 0 ? used / limit : used > 0 ? 1 : 0;
  const filled = Math.min(BAR_CELLS, Math.max(0, Math.round(ratio * BAR_CELLS)));
  return `${'▇'.repeat(filled)}${'▁'.repeat(BAR_CELLS - filled)} ${show(used)}/${show(limit)}`;
}

const usd = (n: number) => `$${Number(n.toFixed(2))}`;

/** What is used of each limit the server counts, by field path. */
function usedOf(policy: EffectivePolicy): Record<string, (limit: unknown) => string> {
  const { usage } = policy;
  const bar = (used: number, show?: (n: number) => string) => (limit: unknown) =>
    typeof limit === 'number' ? usageBar(used, limit, show) : '';
  return {
    'sandboxes.maxPerNamespace': bar(usage.namespaceSandboxes),
    'sandboxes.maxPerUser': bar(usage.userSandboxes),
    'budgets.maxUsdPerNamespacePerDay': bar(usage.namespaceSpentTodayUsd, usd),
    'budgets.maxUsdPerUserPerDay': bar(usage.userSpentTodayUsd, usd),
  };
}

/** One row per limit set, nested objects flattened (`resources.maxCpu`), lists joined. */
export function policyRows(policy: EffectivePolicy): Row[] {
  const used = usedOf(policy);
  const rows: Row[] = [];
  const add = (field: string, value: unknown) => {
    const limit = Array.isArray(value)
      ? value.length === 0
        ? '(none)'
        : value.join(', ')
      : field.startsWith('budgets.') && typeof value === 'number'
        ? usd(value)
        : String(value);
    rows.push({
      field,
      limit,
      used: used[field]?.(value) || '-',
      source: policy.sources[field] ?? '',
    });
  };
  for (const [key, value] of Object.entries(policy.spec)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [nested, inner] of Object.entries(value)) add(`${key}.${nested}`, inner);
    } else {
      add(key, value);
    }
  }
  return rows;
}

const show: Command = {
  path: ['policy'],
  flags: [],
  help: `Usage: paddock policy [-n NAMESPACE] [-o table|json|yaml]

Shows the policy in force in a namespace: the ClusterPolicy "default" merged with the
namespace's Policy "default". One row per limit: FIELD, LIMIT, USED (sandboxes held and today's
spend, as a bar: ▇▇▇▁▁ 3/5) and SOURCE (which policy set it). paddock policy check -f FILE tries
Sandbox manifests against it.

Example:
  paddock policy -n team-a
`,
  async run({ args, settings, client, io }) {
    if (args.length > 0) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'usage: paddock policy [check -f FILE]', {
        issues: [{ path: args[0] ?? '', message: 'unknown argument (did you mean check?)' }],
      });
    }
    const policy = await client.policy.effective({ namespace: settings.namespace });
    switch (settings.output) {
      case OutputFormat.Json:
        io.stdout(`${JSON.stringify(policy, null, 2)}\n`);
        return 0;
      case OutputFormat.Yaml:
        io.stdout(stringify(policy));
        return 0;
      default: {
        const rows = policyRows(policy);
        io.stdout(
          rows.length === 0
            ? `No limits in namespace "${policy.namespace}" (no ClusterPolicy or Policy named default).\n`
            : formatTable(
                [
                  { header: 'FIELD', value: (r: Row) => r.field },
                  { header: 'LIMIT', value: (r: Row) => r.limit },
                  { header: 'USED', value: (r: Row) => r.used },
                  { header: 'SOURCE', value: (r: Row) => r.source },
                ],
                rows,
              ),
        );
        return 0;
      }
    }
  },
};

type Verdict = { sandbox: string; result: PolicyCheckResult };

function formatVerdicts(verdicts: readonly Verdict[]): string {
  return verdicts
    .map(({ sandbox, result }) =>
      result.admitted
        ? `${sandbox} allowed\n`
        : `${sandbox} refused\n${result.violations
            .map((v) => `  - ${v.code} (${v.field}): ${v.message}\n`)
            .join('')}`,
    )
    .join('');
}

const check: Command = {
  path: ['policy', 'check'],
  flags: ['filename'],
  help: `Usage: paddock policy check -f FILE|- [-n NAMESPACE] [-o table|json|yaml]

Tries every Sandbox of a manifest file against the policy and the template's overridable
fields, without creating anything, and prints each violation. Exits with 5 when any sandbox
would be refused. Documents of other kinds are skipped.

Example:
  paddock policy check -f sandbox.yaml
`,
  async run(context) {
    const { settings, client, io } = context;
    const verdicts: Verdict[] = [];
    for (const resource of await readManifests(context, 'policy check')) {
      const label = `${resource.kind.toLowerCase()}/${resource.metadata.name ?? ''}`;
      if (resource.kind !== 'Sandbox') {
        io.stderr(`${label} skipped (only Sandboxes are checked)\n`);
        continue;
      }
      const sandbox: Sandbox = resource;
      const namespace = sandbox.metadata.namespace ?? settings.namespace;
      verdicts.push({ sandbox: label, result: await client.policy.check(sandbox, { namespace }) });
    }
    const items = verdicts.map((v) => ({ sandbox: v.sandbox, ...v.result }));
    if (settings.output === OutputFormat.Json) {
      io.stdout(`${JSON.stringify({ items }, null, 2)}\n`);
    } else if (settings.output === OutputFormat.Yaml) {
      io.stdout(stringify({ items }));
    } else {
      io.stdout(formatVerdicts(verdicts));
    }
    const refused = verdicts.filter((v) => !v.result.admitted);
    if (refused.length > 0) {
      throw new PaddockError(
        ErrorCode.PolicyViolation,
        `${refused.length} of ${verdicts.length} sandboxes would be refused: ${refused
          .map((v) => v.sandbox)
          .join(', ')}`,
      );
    }
    return 0;
  },
};

/** `check` first: a command is found by its leading words, and `policy` leads both. */
export const policyCommands: readonly Command[] = [check, show];
