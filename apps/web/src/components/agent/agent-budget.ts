import type { Budget } from '@paddock/core';
import { usd } from '../../lib/format.ts';

/** `$1.00 · 20 turns · 30m`, or `—` without a budget. */
export function budgetText(budget: Budget | undefined): string {
  if (!budget) return '—';
  const parts = [
    budget.maxUsd !== undefined ? usd(budget.maxUsd) : '',
    budget.maxTurns !== undefined ? `${budget.maxTurns} turns` : '',
    budget.maxTokens !== undefined ? `${budget.maxTokens} tokens` : '',
    budget.timeout ? budget.timeout : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : '—';
}
