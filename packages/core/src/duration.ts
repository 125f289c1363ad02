/**
 * Durations written like Go's `time.ParseDuration` (`90s`, `1h30m`, `500ms`, `1.5h`), held as
 * whole milliseconds.
 *
 * Differences from Go:
 * - `d` (24h) is accepted as a Paddock extension; `formatDurationMs` never writes it, so its
 *   output is always valid for Go too.
 * - Negative durations are rejected.
 * - `ns`, `us` and `µs` are accepted, and the total is rounded up to a whole millisecond, so a
 *   non-zero duration never becomes 0 (which higher layers read as "no limit").
 * - The total may not exceed `Number.MAX_SAFE_INTEGER` milliseconds (Go's cap is 2^63-1 ns).
 */
import { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';

/** Nanoseconds per unit. */
const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 micro sign
  ['μs', 1_000n], // U+03BC Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
  ['d', 86_400_000_000_000n],
]);
const NS_PER_MS = 1_000_000n;

/** The grammar: `0`, or one or more `<number><unit>`, with an optional leading `+`. */
const DURATION_PATTERN = /^\+?(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d))+)$/;
/** One `<number><unit>` of a duration, scanned leniently so errors can say what is wrong. */
const COMPONENT = /(\d*)(?:\.(\d*))?([^\d.]*)/y;
const EXPECTED = 'expected a duration such as 90s, 1h30m, 500ms, 1.5h or 0 (units ms, s, m, h, d)';

function invalid(text: string, reason: string): PaddockError {
  const message = `invalid duration ${JSON.stringify(text)}: ${reason}`;
  return new PaddockError(ErrorCode.ValidationFailed, message, {
    value: text,
    issues: [{ path: '(root)', message }],
  });
}

/**
 * Parses a duration into whole milliseconds: `90s` → 90000, `1h30m` → 5400000, `0` → 0 (which
 * higher layers read as "no limit"). Units are `ms s m h d` and `ns us µs`; fractions are
 * allowed (`1.5h`), and the total is rounded up to a whole millisecond. Throws `PaddockError`
 * `validation_failed` naming the text and the problem: empty, negative, a missing or unknown
 * unit, or a total above `Number.MAX_SAFE_INTEGER` ms.
 */
export function parseDurationMs(text: string): number {
  if (text.startsWith('-')) throw invalid(text, `negative durations are not allowed, ${EXPECTED}`);
  const body = text.startsWith('+') ? text.slice(1) : text;
  if (body === '') throw invalid(text, `empty string, ${EXPECTED}`);
  if (body === '0') return 0;

  const parts: Array<{ digits: string; fractionLength: number; unitNs: bigint }> = [];
  let position = 0;
  while (position < body.length) {
    COMPONENT.lastIndex = position;
    const [matched = '', whole = '', fraction = '', unit = ''] = COMPONENT.exec(body) ?? [];
    if (whole === '' && fraction === '') throw invalid(text, `missing number, ${EXPECTED}`);
    if (unit === '') throw invalid(text, `missing unit after ${matched}, ${EXPECTED}`);
    const unitNs = UNIT_NS.get(unit);
    if (unitNs === undefined)
      throw invalid(text, `unknown unit ${JSON.stringify(unit)}, ${EXPECTED}`);
    parts.push({ digits: whole + fraction, fractionLength: fraction.length, unitNs });
    position += matched.length;
  }

  // Sum exactly in units of 10^-scale ns, then round up to whole milliseconds.
  const scale = Math.max(...parts.map((p) => p.fractionLength));
  let total = 0n;
  for (const part of parts) {
    total += BigInt(part.digits) * part.unitNs * 10n ** BigInt(scale - part.fractionLength);
  }
  const divisor = NS_PER_MS * 10n ** BigInt(scale);
  const ms = total / divisor + (total % divisor === 0n ? 0n : 1n);
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalid(text, `must be at most ${Number.MAX_SAFE_INTEGER}ms`);
  }
  return Number(ms);
}

/** True when `parseDurationMs(text)` would succeed. */
export function isDuration(text: string): boolean {
  try {
    parseDurationMs(text);
    return true;
  } catch {
    return false;
  }
}

const FORMAT_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/**
 * Writes whole milliseconds in the compact form `parseDurationMs` reads back exactly: largest
 * unit first, zero parts left out, hours as the largest unit (`90000` → `1m30s`, `5400000` →
 * `1h30m`, `1500` → `1s500ms`, `86400000` → `24h`, `0` → `0s`). Throws `PaddockError`
 * `validation_failed` unless `ms` is a non-negative safe integer.
 */
export function formatDurationMs(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `invalid duration ${ms}: expected a whole, non-negative number of milliseconds`,
      { value: String(ms) },
    );
  }
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of FORMAT_UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) out += `${count}${unit}`;
  }
  return out;
}

/**
 * A duration string such as `90s` or `1h30m`. The grammar is a regex, so it survives JSON Schema
 * export; a refinement then applies the range check of `parseDurationMs`. The value stays as
 * written.
 */
export const DurationString = z
  .string()
  .regex(DURATION_PATTERN, { error: `must be a duration: ${EXPECTED}`, abort: true })
  .superRefine((text, ctx) => {
    try {
      parseDurationMs(text);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ctx.addIssue({ code: 'custom', message, input: text });
    }
  });
