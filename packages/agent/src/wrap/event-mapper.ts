/**
 * What every external CLI's mapping provides: each line of the CLI's stdout becomes zero or more
 * transcript events, and once the CLI exited the mapping says how the run ended. The wrapper
 * (wrap-session.ts) stamps and writes the events; mappings stay pure and testable line by line.
 */

import {
  type BudgetLimit,
  type RunOutcome,
  type RunUsage,
  type TranscriptEventInput,
  TranscriptEventType,
} from '@paddock/core';
import type { z } from 'zod';

/** How the CLI's process ended (`code` is null when a signal killed it). */
export type CliExit = { code: number | null; signal: string | null };

/** The end of a run as a mapping sees it: becomes the `run.finished` event. */
export type Finish = {
  outcome: RunOutcome;
  limit?: BudgetLimit;
  result?: string;
  message?: string;
  usage: RunUsage;
};

export type EventMapper = {
  /** The events one stdout line (without its newline) maps onto; none for a line it drops. */
  mapLine(line: string): TranscriptEventInput[];
  /** How the run ended, given the CLI's exit (called once, after the last line). */
  finish(exit: CliExit): Finish;
  /** Usage seen so far (for a run cancelled before the CLI reported its totals). */
  readonly usage: RunUsage;
  /** The CLI's own session id once it said it, for a CLI that can resume a session. */
  readonly sessionId?: string | undefined;
};

/** Longest text kept in a `log` event for a line the mapping did not understand. */
export const MAX_LOG_CHARS = 8_000;

/** Cuts `text` to `maxChars`, saying how much was cut. */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}… [${text.length - maxChars} more characters]`;
}

/** A line that is not JSON: shown as an info log. */
export function plainLine(line: string): TranscriptEventInput {
  return { type: TranscriptEventType.Log, level: 'info', message: truncate(line, MAX_LOG_CHARS) };
}

/** A JSON event the mapping does not know: kept whole in `raw` (bounded), described in `message`. */
export function unmapped(what: string, raw: unknown): TranscriptEventInput {
  const text = JSON.stringify(raw) ?? '';
  return {
    type: TranscriptEventType.Log,
    level: 'debug',
    message: `${what}`,
    raw: text.length <= MAX_LOG_CHARS ? raw : truncate(text, MAX_LOG_CHARS),
  };
}

/** Parses a line as a JSON object; undefined for anything else. */
export function jsonObject(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A non-negative integer count from a JSON field (0 for anything else). */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** A non-negative amount of money from a JSON field (0 for anything else). */
export function amount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** How a CLI exit reads in a message: `exit code 2`, `signal SIGKILL`. */
export function describeExit(exit: CliExit): string {
  return exit.code === null ? `signal ${exit.signal ?? 'unknown'}` : `exit code ${exit.code}`;
}

/**
 * One stdout line of a CLI that writes JSON Lines, read against `schema`: the parsed `line` (and
 * the raw `value`) when it is one of the CLI's known events, else the `events` to emit instead (none for a blank line, an info
 * log for plain text, a debug log keeping an unknown event whole).
 */
export function readJsonLine<S extends z.ZodType>(
  text: string,
  schema: S,
  cli: string,
): { line: z.output<S>; value: Record<string, unknown> } | { events: TranscriptEventInput[] } {
  if (text.trim() === '') return { events: [] };
  const value = jsonObject(text);
  if (value === undefined) return { events: [plainLine(text)] };
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { events: [unmapped(`${cli}: ${String(value.type)}`, value)] };
  return { line: parsed.data, value };
}
