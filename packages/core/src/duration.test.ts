// Vectors marked "Go" are ported from Go's time/time_test.go (parseDurationTests).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { DurationString, formatDurationMs, isDuration, parseDurationMs } from './duration.ts';
import { ErrorCode, isPaddockError } from './errors.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe('parseDurationMs', () => {
  it('reads the Go vectors that are whole milliseconds', () => {
    const table: Array<[string, number]> = [
      ['0', 0],
      ['5s', 5 * SECOND],
      ['30s', 30 * SECOND],
      ['1478s', 1478 * SECOND],
      ['+5s', 5 * SECOND],
      ['+0', 0],
      ['5.0s', 5 * SECOND],
      ['5.6s', 5 * SECOND + 600],
      ['5.s', 5 * SECOND],
      ['.5s', 500],
      ['1.0s', SECOND],
      ['1.00s', SECOND],
      ['1.004s', SECOND + 4],
      ['1.0040s', SECOND + 4],
      ['100.00100s', 100 * SECOND + 1],
      ['13ms', 13],
      ['14s', 14 * SECOND],
      ['15m', 15 * MINUTE],
      ['16h', 16 * HOUR],
      ['3h30m', 3 * HOUR + 30 * MINUTE],
      ['10.5s4m', 4 * MINUTE + 10 * SECOND + 500],
      ['39h9m14.425s', 39 * HOUR + 9 * MINUTE + 14 * SECOND + 425],
      ['0.3333333333333333333h', 20 * MINUTE],
      ['0.100000000000000000000h', 6 * MINUTE],
    ];
    for (const [text, ms] of table) assert.equal(parseDurationMs(text), ms, text);
  });

  it('reads the spellings Paddock users write, and d as 24h', () => {
    const table: Array<[string, number]> = [
      ['90s', 90 * SECOND],
      ['1h30m', HOUR + 30 * MINUTE],
      ['500ms', 500],
      ['1.5h', HOUR + 30 * MINUTE],
      ['2m30s', 2 * MINUTE + 30 * SECOND],
      ['0s', 0],
      ['0ms', 0],
      ['1d', 24 * HOUR],
      ['1.5d', 36 * HOUR],
      ['7d12h', 7 * 24 * HOUR + 12 * HOUR],
    ];
    for (const [text, ms] of table) assert.equal(parseDurationMs(text), ms, text);
  });

  it('rounds sub-millisecond totals up, so a non-zero duration never becomes 0', () => {
    const table: Array<[string, number]> = [
      ['10ns', 1],
      ['11us', 1],
      ['12µs', 1], // U+00B5
      ['12μs', 1], // U+03BC
      ['1000us', 1],
      ['1001us', 2],
      ['1.5ms', 2],
      ['0.0001s', 1],
      ['1h2m3s4ms5us6ns', HOUR + 2 * MINUTE + 3 * SECOND + 5],
      ['52763797000ns', 52764],
      ['500us500us', 1],
      ['0.5ms0.5ms', 1],
      ['0.5ms0.50001ms', 2],
    ];
    for (const [text, ms] of table) assert.equal(parseDurationMs(text), ms, text);
  });

  it('rejects the Go invalid vectors, negatives, and overflow with validation_failed', () => {
    const invalid = [
      ...['', '3', '-', 's', '.', '-.', '.s', '+.s', '\x85\x85', '\uFFFD', 'hello world'],
      ...['-5s', '-0', '-2m3.4s', '1H', '1 s', ' 1s', '1s ', '00', '1.2.3s', '1sec', '1m30'],
      ...['9007199254740992ms', '300000000000h', '1e3s'],
    ];
    for (const text of invalid) {
      assert.throws(
        () => parseDurationMs(text),
        (error) => isPaddockError(error, ErrorCode.ValidationFailed),
        JSON.stringify(text),
      );
      assert.equal(isDuration(text), false, JSON.stringify(text));
    }
    assert.equal(parseDurationMs('9007199254740991ms'), Number.MAX_SAFE_INTEGER);
  });

  it('names the bad value and what is expected', () => {
    const messages: Array<[string, RegExp]> = [
      [
        '-5s',
        /^invalid duration "-5s": negative durations are not allowed, expected a duration such/,
      ],
      ['', /^invalid duration "": empty string, expected a duration such as 90s, 1h30m, 500ms/],
      ['3', /^invalid duration "3": missing unit after 3, expected a duration such/],
      ['5x', /^invalid duration "5x": unknown unit "x", expected a duration such/],
      ['s', /^invalid duration "s": missing number, expected a duration such/],
      ['9007199254740992ms', /must be at most 9007199254740991ms/],
    ];
    for (const [text, pattern] of messages) {
      assert.throws(
        () => parseDurationMs(text),
        (error) => {
          assert.ok(isPaddockError(error, ErrorCode.ValidationFailed));
          assert.match(error.message, pattern);
          assert.equal(error.details.value, text);
          return true;
        },
      );
    }
  });
});

describe('formatDurationMs', () => {
  it('writes the compact form, largest unit first, never d', () => {
    const table: Array<[number, string]> = [
      [0, '0s'],
      [1, '1ms'],
      [500, '500ms'],
      [1500, '1s500ms'],
      [90_000, '1m30s'],
      [5_400_000, '1h30m'],
      [3_600_001, '1h1ms'],
      [86_400_000, '24h'],
      [Number.MAX_SAFE_INTEGER, '2501999792h59m991ms'],
    ];
    for (const [ms, text] of table) assert.equal(formatDurationMs(ms), text, String(ms));
  });

  it('rejects negative, fractional and unsafe numbers', () => {
    for (const ms of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(
        () => formatDurationMs(ms),
        (error) => isPaddockError(error, ErrorCode.ValidationFailed),
        String(ms),
      );
    }
  });
});

describe('DurationString', () => {
  it('accepts durations as written and rejects others with one clear issue', () => {
    assert.equal(DurationString.parse('1h30m'), '1h30m');
    assert.deepEqual(
      DurationString.safeParse('90').error?.issues.map((i) => i.message),
      [
        'must be a duration: expected a duration such as 90s, 1h30m, 500ms, 1.5h or 0 (units ms, s, m, h, d)',
      ],
    );
    assert.deepEqual(
      DurationString.safeParse('9007199254740992ms').error?.issues.map((i) => i.message),
      ['invalid duration "9007199254740992ms": must be at most 9007199254740991ms'],
    );
  });

  it('exports the grammar to JSON Schema as a pattern that agrees with the parser', () => {
    const schema = z.toJSONSchema(DurationString);
    assert.equal(schema.type, 'string');
    const pattern = new RegExp(schema.pattern ?? '^$');
    for (const text of ['0', '+0', '90s', '1h30m', '1.5h', '.5s', '5.s', '12µs', '1d']) {
      assert.match(text, pattern);
      assert.equal(isDuration(text), true, text);
    }
    for (const text of ['', '-5s', '3', '1H', '00', '1 s']) assert.doesNotMatch(text, pattern);
  });
});

describe('duration properties', () => {
  it('parseDurationMs(formatDurationMs(ms)) === ms for whole milliseconds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(10 * 24 * HOUR), fc.maxSafeNat()), (ms) => {
        assert.equal(parseDurationMs(formatDurationMs(ms)), ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('sums whole-unit parts in any order and rounds fractions up', () => {
    const unitMs = { d: 24 * HOUR, h: HOUR, m: MINUTE, s: SECOND, ms: 1 } as const;
    const part = fc.tuple(fc.nat(1000), fc.constantFrom('d', 'h', 'm', 's', 'ms'));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), fc.nat(999_999), (parts, ns) => {
        const text = parts.map(([n, unit]) => `${n}${unit}`).join('');
        const ms = parts.reduce((sum, [n, unit]) => sum + n * unitMs[unit], 0);
        assert.equal(parseDurationMs(text), ms);
        assert.equal(parseDurationMs(`${text}${ns}ns`), ms + (ns > 0 ? 1 : 0));
        assert.equal(formatDurationMs(parseDurationMs(text)), formatDurationMs(ms));
      }),
      { numRuns: 1000 },
    );
  });
});
