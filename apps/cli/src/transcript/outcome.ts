import type { RunUsage } from '@paddock/core';
import type { Style } from './style.ts';

/** Token counts as people read them: `950`, `12.3k`, `1.2M`. */
export function formatTokens(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1_000_000) return `${(count / 1000).toFixed(1)}k`;
  return `${(count / 1_000_000).toFixed(1)}M`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * The last line of a run: `Succeeded · 3 turns · 5 tool calls · 12.3k in / 1.1k out · $0.0421`,
 * green when it succeeded, red otherwise; the run's message (why it ended) on the next line.
 */
export function formatOutcome(
  outcome: { phase: string; usage?: RunUsage | undefined; message?: string | undefined },
  style: Style,
): string {
  const { phase, usage, message } = outcome;
  const parts = [phase];
  if (usage) {
    parts.push(
      plural(usage.turns, 'turn'),
      plural(usage.toolCalls, 'tool call'),
      `${formatTokens(usage.inputTokens)} in / ${formatTokens(usage.outputTokens)} out`,
      `$${usage.costUsd.toFixed(4)}`,
    );
  }
  const paint =
    phase === 'Succeeded' ? style.green : phase === 'Cancelled' ? style.yellow : style.red;
  const [head, ...rest] = parts;
  const line = `${style.bold(paint(head ?? ''))}${rest.length > 0 ? style.dim(` · ${rest.join(' · ')}`) : ''}\n`;
  return message ? `${line}${style.dim(message)}\n` : line;
}
