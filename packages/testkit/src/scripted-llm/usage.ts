import type { ScriptedTurn } from './script.ts';

/** Token counts of one answer; `inputTokens` excludes cache reads, as Anthropic reports them. */
export type TurnUsage = { inputTokens: number; outputTokens: number; cacheReadTokens: number };

/** A rough estimate (four characters a token), never below one. */
export function estimateTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The usage a turn reports: as scripted, else estimated from the prompt and the answer. */
export function turnUsage(turn: ScriptedTurn, prompt: unknown): TurnUsage {
  if (turn.usage !== undefined) {
    return {
      inputTokens: turn.usage.inputTokens,
      outputTokens: turn.usage.outputTokens,
      cacheReadTokens: turn.usage.cacheReadTokens ?? 0,
    };
  }
  const answer = [turn.thinking ?? '', turn.text ?? '', JSON.stringify(turn.toolCalls ?? [])];
  return {
    inputTokens: estimateTokens(prompt),
    outputTokens: estimateTokens(answer.join('')),
    cacheReadTokens: 0,
  };
}
