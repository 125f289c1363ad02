import type { EffectivePolicy, UsageReport } from '@paddock/api';
import { tokens, usd } from '../../lib/format.ts';
import { UsageBar } from '../governance/usage-bar.tsx';

/** Today's spend (UTC day) in the namespace against the daily budgets of the effective policy. */
export function SpendToday({
  usage,
  policy,
}: {
  usage: UsageReport;
  policy: EffectivePolicy | undefined;
}) {
  const budgets = policy?.spec.budgets;
  const spent = usage.total.costUsd;
  const namespaceLimit = budgets?.maxUsdPerNamespacePerDay;
  const userLimit = budgets?.maxUsdPerUserPerDay;
  return (
    <>
      <p className="stat">{usd(spent)}</p>
      <UsageBar
        used={spent}
        limit={namespaceLimit}
        text={
          namespaceLimit === undefined
            ? `${usd(spent)} today, no namespace budget`
            : `${usd(spent)} of ${usd(namespaceLimit)} namespace budget`
        }
      />
      {policy && userLimit !== undefined ? (
        <UsageBar
          used={policy.usage.userSpentTodayUsd}
          limit={userLimit}
          text={`${usd(policy.usage.userSpentTodayUsd)} of ${usd(userLimit)} your daily budget`}
        />
      ) : null}
      <p className="muted small">
        {usage.total.runs} runs · {tokens(usage.total.inputTokens)} in /{' '}
        {tokens(usage.total.outputTokens)} out tokens ·{' '}
        {Math.round(usage.total.sandboxSeconds / 60)} sandbox-minutes
      </p>
    </>
  );
}
