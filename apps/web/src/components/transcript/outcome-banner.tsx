import type { RunUsage } from '@paddock/core';
import { tokens, usd } from '../../lib/format.ts';
import { Markdown } from './markdown.tsx';

const LABELS: Readonly<Record<string, { text: string; tone: 'ok' | 'warn' | 'bad' }>> = {
  succeeded: { text: 'Succeeded', tone: 'ok' },
  Succeeded: { text: 'Succeeded', tone: 'ok' },
  failed: { text: 'Failed', tone: 'bad' },
  Failed: { text: 'Failed', tone: 'bad' },
  cancelled: { text: 'Cancelled', tone: 'warn' },
  Cancelled: { text: 'Cancelled', tone: 'warn' },
  budget_exceeded: { text: 'Budget exceeded', tone: 'bad' },
  BudgetExceeded: { text: 'Budget exceeded', tone: 'bad' },
  timed_out: { text: 'Timed out', tone: 'bad' },
  TimedOut: { text: 'Timed out', tone: 'bad' },
};

/** One line of usage totals: turns, tool calls, tokens and cost. */
export function usageText(usage: RunUsage | undefined): string {
  if (!usage) return 'No usage yet';
  return [
    `${usage.turns} ${usage.turns === 1 ? 'turn' : 'turns'}`,
    `${usage.toolCalls} tool ${usage.toolCalls === 1 ? 'call' : 'calls'}`,
    `${tokens(usage.inputTokens)} in / ${tokens(usage.outputTokens)} out tokens`,
    usd(usage.costUsd),
  ].join(' · ');
}

/**
 * How a run ended: the outcome (a `run.finished` outcome or a terminal phase), the limit that
 * stopped it, the final result and the usage.
 */
export function OutcomeBanner({
  outcome,
  limit,
  result,
  message,
  usage,
}: {
  outcome: string;
  limit?: string | undefined;
  result?: string | undefined;
  message?: string | undefined;
  usage?: RunUsage | undefined;
}) {
  const label = LABELS[outcome] ?? { text: outcome, tone: 'warn' as const };
  return (
    <div className={`outcome ${label.tone}`}>
      <div className="outcome-head">
        <strong>Run {label.text.toLowerCase()}</strong>
        <span className={`badge run-badge ${label.tone}`}>{label.text}</span>
        {limit ? <span className="muted small">limit: {limit}</span> : null}
      </div>
      {message ? <p className="plain">{message}</p> : null}
      {result ? (
        <div className="outcome-result">
          <Markdown text={result} />
        </div>
      ) : null}
      {usage ? <p className="muted small">{usageText(usage)}</p> : null}
    </div>
  );
}
