// Vectors marked "k8s" are ported from k8s.io/apimachinery/pkg/api/resource/quantity_test.go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { ErrorCode, isPaddockError } from './errors.ts';
import {
  addQuantity,
  canonicalQuantity,
  compareQuantity,
  formatQuantity,
  isQuantity,
  parseQuantity,
  type Quantity,
  QuantityFormat,
  QuantityString,
  quantityEquals,
  quantityToInteger,
  quantityToMilli,
  quantityToNumber,
} from './quantity.ts';

const { BinarySI, DecimalSI, DecimalExponent } = QuantityFormat;

/** A quantity built by hand, like k8s' decQuantity(mantissa, exponent, format). */
function dec(mantissa: bigint, exponent: number, format: QuantityFormat): Quantity {
  return { mantissa, exponent, format };
}

/** The exact value in nanounits; every quantity from parse or add is a whole number of them. */
function nanos(q: Quantity): bigint {
  assert.ok(q.exponent >= -9, `finer than nano: ${q.mantissa}e${q.exponent}`);
  return q.mantissa * 10n ** BigInt(q.exponent + 9);
}

function assertValue(text: string, expected: Quantity): void {
  const got = parseQuantity(text);
  assert.equal(nanos(got), nanos(expected), `value of ${text}`);
  assert.equal(got.format, expected.format, `format of ${text}`);
}

function opposite(order: -1 | 0 | 1): -1 | 0 | 1 {
  return order === 0 ? 0 : order < 0 ? 1 : -1;
}

function zero(format: QuantityFormat): (text: string) => [string, Quantity] {
  return (text) => [text, dec(0n, 0, format)];
}

const MAX_INT64 = 2n ** 63n - 1n;

// k8s TestQuantityParse: input → value and format.
const PARSE_TABLE: Array<[string, Quantity]> = [
  ...['0', '0n', '0u', '0m', '0k', '0M', '0G', '0T'].map(zero(DecimalSI)),
  ...['0Ki', '0Mi', '0Gi', '0Ti'].map(zero(BinarySI)),
  ['1', dec(1n, 0, DecimalSI)],
  ['1Ki', dec(1024n, 0, BinarySI)],
  ['8Ki', dec(8n * 1024n, 0, BinarySI)],
  ['7Mi', dec(7n * 1024n ** 2n, 0, BinarySI)],
  ['6Gi', dec(6n * 1024n ** 3n, 0, BinarySI)],
  ['5Ti', dec(5n * 1024n ** 4n, 0, BinarySI)],
  ['4Pi', dec(4n * 1024n ** 5n, 0, BinarySI)],
  ['3Ei', dec(3n * 1024n ** 6n, 0, BinarySI)],
  ['10Ti', dec(10n * 1024n ** 4n, 0, BinarySI)],
  ['100Ti', dec(100n * 1024n ** 4n, 0, BinarySI)],
  ['5n', dec(5n, -9, DecimalSI)],
  ['4u', dec(4n, -6, DecimalSI)],
  ['3m', dec(3n, -3, DecimalSI)],
  ['9', dec(9n, 0, DecimalSI)],
  ['8k', dec(8n, 3, DecimalSI)],
  ['50k', dec(5n, 4, DecimalSI)],
  ['7M', dec(7n, 6, DecimalSI)],
  ['6G', dec(6n, 9, DecimalSI)],
  ['5T', dec(5n, 12, DecimalSI)],
  ['40T', dec(4n, 13, DecimalSI)],
  ['300T', dec(3n, 14, DecimalSI)],
  ['2P', dec(2n, 15, DecimalSI)],
  ['1E', dec(1n, 18, DecimalSI)],
  ['1E-3', dec(1n, -3, DecimalExponent)],
  ['1e3', dec(1n, 3, DecimalExponent)],
  ['1E6', dec(1n, 6, DecimalExponent)],
  ['1e9', dec(1n, 9, DecimalExponent)],
  ['1E12', dec(1n, 12, DecimalExponent)],
  ['1e15', dec(1n, 15, DecimalExponent)],
  ['1E18', dec(1n, 18, DecimalExponent)],
  ['1e14', dec(1n, 14, DecimalExponent)],
  ['1e13', dec(1n, 13, DecimalExponent)],
  ['100.035k', dec(100035n, 0, DecimalSI)],
  ['0.001', dec(1n, -3, DecimalSI)],
  ['0.0005k', dec(5n, -1, DecimalSI)],
  ['0.005', dec(5n, -3, DecimalSI)],
  ['0.05', dec(5n, -2, DecimalSI)],
  ['0.5', dec(5n, -1, DecimalSI)],
  ['0.00050k', dec(5n, -1, DecimalSI)],
  ['0.00500', dec(5n, -3, DecimalSI)],
  ['0.05000', dec(5n, -2, DecimalSI)],
  ['0.50000', dec(5n, -1, DecimalSI)],
  ['0.5e0', dec(5n, -1, DecimalExponent)],
  ['0.5e-1', dec(5n, -2, DecimalExponent)],
  ['0.5e-2', dec(5n, -3, DecimalExponent)],
  ['10.035M', dec(10035n, 3, DecimalSI)],
  ['1.2e3', dec(12n, 2, DecimalExponent)],
  ['1.3E+6', dec(13n, 5, DecimalExponent)],
  ['1.40e9', dec(14n, 8, DecimalExponent)],
  ['1.53E12', dec(153n, 10, DecimalExponent)],
  ['1.6e15', dec(16n, 14, DecimalExponent)],
  ['1.7E18', dec(17n, 17, DecimalExponent)],
  ['9.01', dec(901n, -2, DecimalSI)],
  ['8.1k', dec(81n, 2, DecimalSI)],
  ['7.123456M', dec(7123456n, 0, DecimalSI)],
  ['6.987654321G', dec(6987654321n, 0, DecimalSI)],
  ['5.444T', dec(5444n, 9, DecimalSI)],
  ['40.1T', dec(401n, 11, DecimalSI)],
  ['300.2T', dec(3002n, 11, DecimalSI)],
  ['2.5P', dec(25n, 14, DecimalSI)],
  ['1.01E', dec(101n, 16, DecimalSI)],
  // Things that saturate or round.
  ['3.001n', dec(4n, -9, DecimalSI)],
  ['1.1E-9', dec(2n, -9, DecimalExponent)],
  ['0.0000000001', dec(1n, -9, DecimalSI)],
  ['0.0000000005', dec(1n, -9, DecimalSI)],
  ['0.00000000050', dec(1n, -9, DecimalSI)],
  ['0.5e-9', dec(1n, -9, DecimalExponent)],
  ['0.9n', dec(1n, -9, DecimalSI)],
  ['0.00000012345', dec(124n, -9, DecimalSI)],
  ['0.00000012354', dec(124n, -9, DecimalSI)],
  ['9Ei', dec(MAX_INT64, 0, BinarySI)],
  ['9223372036854775807Ki', dec(MAX_INT64, 0, BinarySI)],
  ['12E', dec(12n, 18, DecimalSI)],
  // Fractional binary.
  ['100.035Ki', dec(10243584n, -2, BinarySI)],
  ['0.5Mi', dec(524288n, 0, BinarySI)],
  ['0.05Gi', dec(536870912n, -1, BinarySI)],
  ['0.025Ti', dec(274877906944n, -1, BinarySI)],
  // "Things written by trolls".
  ['0.000000000001Ki', dec(2n, -9, DecimalSI)],
  ['.001', dec(1n, -3, DecimalSI)],
  ['.0001k', dec(100n, -3, DecimalSI)],
  ['1.', dec(1n, 0, DecimalSI)],
  ['1.G', dec(1n, 9, DecimalSI)],
  // The cpu and memory spellings Paddock users write.
  ['500m', dec(5n, -1, DecimalSI)],
  ['0.25', dec(25n, -2, DecimalSI)],
  ['512Mi', dec(512n * 1024n ** 2n, 0, BinarySI)],
  ['1.5Gi', dec(1536n * 1024n ** 2n, 0, BinarySI)],
  ['18446744073709551616', dec(18446744073709551616n, 0, DecimalSI)],
];

describe('parseQuantity', () => {
  it('reads every k8s parse vector and Paddock spelling, also signed with - and +', () => {
    for (const [text, expected] of PARSE_TABLE) {
      assertValue(text, expected);
      assertValue(`+${text}`, expected);
      assertValue(`-${text}`, { ...expected, mantissa: -expected.mantissa });
    }
  });

  it('keeps values in normal form, so equal values have equal fields', () => {
    assert.deepEqual(parseQuantity('1000m'), { mantissa: 1n, exponent: 0, format: DecimalSI });
    assert.deepEqual(parseQuantity('-0.0'), { mantissa: 0n, exponent: 0, format: DecimalSI });
  });

  it('rejects the k8s invalid vectors and malformed input with validation_failed', () => {
    const invalid = [
      ...'1.1.M 1+1.0M 0.1mi 0.1am aoeu .5i 1i -3.01i -3.01e-'.split(' '),
      ...[' 1', '1 '],
      ...['', ' ', '1.2.3', '12Q', '1e', '1K', '1ki', '1e3.5', '1E+-3', '--1', '0x10', '1,5'],
      // Kubernetes reads these as zero; the documented grammar needs a digit.
      ...['Mi', '.', '+', '-', 'e5', 'k'],
      // Kubernetes wraps exponents outside int32; Paddock also bounds decimal magnitudes.
      ...['1e2147483648', '1e-2147483649', '1e308', '1000e306'],
    ];
    for (const text of invalid) {
      assert.throws(
        () => parseQuantity(text),
        (error) => isPaddockError(error, ErrorCode.ValidationFailed),
        JSON.stringify(text),
      );
      assert.equal(isQuantity(text), false, JSON.stringify(text));
    }
  });

  it('names the bad value and the problem', () => {
    const messages: Array<[string, RegExp]> = [
      ['12Q', /^invalid quantity "12Q": unknown suffix "Q", expected n u m k M G T P E/],
      ['', /^invalid quantity "": empty string/],
      ['1.2.3', /^invalid quantity "1\.2\.3": malformed number/],
      ['Mi', /^invalid quantity "Mi": expected a number and an optional suffix/],
      ['1e9999999999', /^invalid quantity "1e9999999999": exponent 9999999999 is out of range/],
      ['1e400', /^invalid quantity "1e400": magnitude must be below 1e308/],
    ];
    for (const [text, pattern] of messages) {
      assert.throws(
        () => parseQuantity(text),
        (error) => {
          assert.ok(isPaddockError(error, ErrorCode.ValidationFailed));
          assert.match(error.message, pattern);
          assert.equal(error.details.value, text);
          return true;
        },
      );
    }
  });

  it('accepts extreme but legal exponents without expanding them', () => {
    assert.equal(canonicalQuantity('1e-2147483648'), '1e-9');
    assert.equal(canonicalQuantity('1e307'), '10e306');
    assert.equal(canonicalQuantity(`0.${'0'.repeat(5000)}1`), '1n');
    assert.equal(canonicalQuantity(`${'9'.repeat(300)}e7`), `${'9'.repeat(300)}0e6`);
  });
});

// k8s TestQuantityString: value → canonical string, and an alternate spelling → the same string.
const STRING_TABLE: Array<[Quantity, string, string]> = [
  [dec(1024n ** 3n, 0, BinarySI), '1Gi', '1024Mi'],
  [dec(300n * 1024n ** 2n, 0, BinarySI), '300Mi', '307200Ki'],
  [dec(6n * 1024n, 0, BinarySI), '6Ki', ''],
  [dec(1001n * 1024n ** 3n, 0, BinarySI), '1001Gi', '1025024Mi'],
  [dec(1024n ** 4n, 0, BinarySI), '1Ti', '1024Gi'],
  [dec(5n, 0, BinarySI), '5', '5000m'],
  [dec(500n, -3, BinarySI), '500m', '0.5'],
  [dec(1n, 9, DecimalSI), '1G', '1000M'],
  [dec(1000n, 6, DecimalSI), '1G', '0.001T'],
  [dec(1000000n, 3, DecimalSI), '1G', ''],
  [dec(1000000000n, 0, DecimalSI), '1G', ''],
  [dec(1n, -3, DecimalSI), '1m', '1000u'],
  [dec(80n, -3, DecimalSI), '80m', ''],
  [dec(1080n, -3, DecimalSI), '1080m', '1.08'],
  [dec(108n, -2, DecimalSI), '1080m', '1080000000n'],
  [dec(10800n, -4, DecimalSI), '1080m', ''],
  [dec(300n, 6, DecimalSI), '300M', ''],
  [dec(1n, 12, DecimalSI), '1T', ''],
  [dec(1n, 18, DecimalSI), '1E', ''],
  [dec(1n, 21, DecimalSI), '1e21', '1000E'],
  [dec(5n, 21, DecimalSI), '5e21', '5000E'],
  [dec(1n, 24, DecimalSI), '1e24', '1000000E'],
  [dec(1234567n, 6, DecimalSI), '1234567M', ''],
  [dec(1234567n, -3, BinarySI), '1234567m', ''],
  [dec(3n, 3, DecimalSI), '3k', ''],
  [dec(1025n, 0, BinarySI), '1025', ''],
  [dec(0n, 0, DecimalSI), '0', ''],
  [dec(0n, 0, BinarySI), '0', ''],
  [dec(1n, 9, DecimalExponent), '1e9', '.001e12'],
  [dec(1n, -3, DecimalExponent), '1e-3', '0.001e0'],
  [dec(1n, -9, DecimalExponent), '1e-9', '1000e-12'],
  [dec(80n, -3, DecimalExponent), '80e-3', ''],
  [dec(300n, 6, DecimalExponent), '300e6', ''],
  [dec(1n, 12, DecimalExponent), '1e12', ''],
  [dec(1n, 3, DecimalExponent), '1e3', ''],
  [dec(3n, 3, DecimalExponent), '3e3', ''],
  [dec(0n, 0, DecimalExponent), '0', '00'],
  [dec(1n, -9, DecimalSI), '1n', ''],
  [dec(80n, -9, DecimalSI), '80n', ''],
  [dec(1080n, -9, DecimalSI), '1080n', ''],
  [dec(108n, -8, DecimalSI), '1080n', ''],
  [dec(10800n, -10, DecimalSI), '1080n', ''],
  [dec(1n, -6, DecimalSI), '1u', ''],
  [dec(80n, -6, DecimalSI), '80u', ''],
  [dec(1080n, -6, DecimalSI), '1080u', ''],
];

describe('formatQuantity', () => {
  it('writes every k8s String vector, negated too, and canonicalizes its alternates', () => {
    for (const [q, expected, alternate] of STRING_TABLE) {
      assert.equal(formatQuantity(q), expected, `${q.mantissa}e${q.exponent} ${q.format}`);
      assert.equal(canonicalQuantity(expected), expected);
      if (alternate !== '') assert.equal(canonicalQuantity(alternate), expected, alternate);
      if (q.mantissa !== 0n)
        assert.equal(formatQuantity({ ...q, mantissa: -q.mantissa }), `-${expected}`);
    }
  });

  it('writes the k8s ParseEmit vectors, negated too', () => {
    const table: Array<[string, string]> = [
      ['1Ki', '1Ki'],
      ['1Mi', '1Mi'],
      ['1Gi', '1Gi'],
      ['1024Mi', '1Gi'],
      ['1000M', '1G'],
      ['.001Ki', '1024m'],
      ['.000001Ki', '1024u'],
      ['.000000001Ki', '1024n'],
      ['.000000000001Ki', '2n'],
    ];
    for (const [text, expected] of table) {
      assert.equal(canonicalQuantity(text), expected, text);
      assert.equal(canonicalQuantity(`-${text}`), `-${expected}`, `-${text}`);
    }
  });

  it('uses the largest suffix and falls back to DecimalSI when binary would lose precision', () => {
    const table: Array<[string, string]> = [
      ['1.5', '1500m'],
      ['1.5Gi', '1536Mi'],
      ['0.5Gi', '512Mi'],
      ['1000m', '1'],
      ['1e3', '1e3'],
      ['1e4', '10e3'],
      ['1.2e3', '1200'],
      ['0.5e0', '500e-3'],
      ['100k', '100k'],
      ['1024Ki', '1Mi'],
      ['0.5Ki', '512'],
      ['0.9765625Ki', '1k'],
      ['1.1Ki', '1126400m'],
      ['1025Ki', '1025Ki'],
      ['8Ei', '9223372036854775807'],
      ['-9Ei', '-9223372036854775807'],
      ['+1', '1'],
      ['-0', '0'],
      ['0Ki', '0'],
      ['1.G', '1G'],
    ];
    for (const [text, expected] of table) assert.equal(canonicalQuantity(text), expected, text);
  });

  it('keeps binary values beyond Ei exact instead of dropping the suffix', () => {
    assert.equal(formatQuantity(dec(2n ** 70n, 0, BinarySI)), '1024Ei');
    assert.equal(formatQuantity(dec(2n ** 63n, 0, BinarySI)), '8Ei');
  });
});

describe('compareQuantity and quantityEquals', () => {
  it('orders the k8s Cmp vectors and values across formats', () => {
    const table: Array<[string, string, -1 | 0 | 1]> = [
      ['0', '0', 0],
      ['100m', '50m', 1],
      ['50m', '100m', -1],
      ['10000T', '100Gi', 1],
      ['1Ki', '1024', 0],
      ['1e3', '1k', 0],
      ['-1', '1n', -1],
      ['-2', '-1', -1],
      ['1e300', '1n', 1],
      ['-1e300', '-1n', -1],
      ['999999999n', '1', -1],
    ];
    for (const [a, b, expected] of table) {
      const [qa, qb] = [parseQuantity(a), parseQuantity(b)];
      assert.equal(compareQuantity(qa, qb), expected, `${a} vs ${b}`);
      assert.equal(compareQuantity(qb, qa), opposite(expected), `${b} vs ${a}`);
    }
    assert.equal(quantityEquals(parseQuantity('1Gi'), parseQuantity('1073741824')), true);
    assert.equal(quantityEquals(parseQuantity('1G'), parseQuantity('1Gi')), false);
  });
});

describe('addQuantity', () => {
  it('adds exactly and keeps the left format, or the right one when the left is zero (k8s Add)', () => {
    const sum = addQuantity(parseQuantity('10'), parseQuantity('1Ki'));
    assert.equal(sum.format, DecimalSI);
    assert.equal(formatQuantity(sum), '1034');
    assert.equal(addQuantity(parseQuantity('10Ki'), parseQuantity('1')).format, BinarySI);
    assert.equal(
      formatQuantity(addQuantity(parseQuantity('1.5Gi'), parseQuantity('512Mi'))),
      '2Gi',
    );
    assert.equal(formatQuantity(addQuantity(parseQuantity('250m'), parseQuantity('0.75'))), '1');
    assert.equal(formatQuantity(addQuantity(parseQuantity('1'), parseQuantity('-1'))), '0');
    for (const text of ['100m', '1Gi']) {
      assert.equal(formatQuantity(addQuantity(parseQuantity(text), parseQuantity('0'))), text);
      assert.equal(formatQuantity(addQuantity(parseQuantity('0'), parseQuantity(text))), text);
    }
    // Like k8s (TestNegAndSubAtMostNegative), sums are not capped at int64.
    const big = addQuantity(parseQuantity('9223372036854775807'), parseQuantity('1'));
    assert.equal(formatQuantity(big), '9223372036854775808');
  });
});

describe('quantityToMilli, quantityToInteger, quantityToNumber', () => {
  it('round away from zero like MilliValue and Value', () => {
    const table: Array<[string, bigint, bigint]> = [
      ['1n', 1n, 1n],
      ['1u', 1n, 1n],
      ['1m', 1n, 1n],
      ['1', 1000n, 1n],
      ['500m', 500n, 1n],
      ['1.5', 1500n, 2n],
      ['9.01', 9010n, 10n],
      ['-9.01', -9010n, -10n],
      ['-1.5', -1500n, -2n],
      ['1500001n', 2n, 1n],
      ['1Gi', 1073741824000n, 1073741824n],
      ['0', 0n, 0n],
      ['1e21', 10n ** 24n, 10n ** 21n],
    ];
    for (const [text, milli, integer] of table) {
      assert.equal(quantityToMilli(parseQuantity(text)), milli, `milli of ${text}`);
      assert.equal(quantityToInteger(parseQuantity(text)), integer, `integer of ${text}`);
    }
  });

  it('approximates as a number for display', () => {
    assert.equal(quantityToNumber(parseQuantity('2Ki')), 2048);
    assert.equal(quantityToNumber(parseQuantity('1.1Ki')), 1126.4);
    assert.equal(quantityToNumber(parseQuantity('250m')), 0.25);
    assert.equal(quantityToNumber(parseQuantity('-2Gi')), -2147483648);
  });
});

describe('QuantityString', () => {
  it('accepts quantities as written and rejects others with one clear issue', () => {
    assert.equal(QuantityString.parse('0.5Gi'), '0.5Gi');
    const grammar = QuantityString.safeParse('12Q').error?.issues.map((i) => i.message);
    assert.equal(grammar?.length, 1);
    assert.match(grammar?.[0] ?? '', /^must be a Kubernetes quantity: expected a number and an/);
    const range = QuantityString.safeParse('1e400');
    assert.deepEqual(
      range.error?.issues.map((i) => i.message),
      ['invalid quantity "1e400": magnitude must be below 1e308'],
    );
    assert.equal(QuantityString.safeParse(512).success, false);
  });

  it('exports the grammar to JSON Schema as a pattern that agrees with the parser', () => {
    const schema = z.toJSONSchema(QuantityString);
    assert.equal(schema.type, 'string');
    assert.equal(typeof schema.pattern, 'string');
    const pattern = new RegExp(schema.pattern ?? '');
    for (const text of ['500m', '1.5Gi', '-1e-3', '.5', '5.', '1E']) assert.match(text, pattern);
    for (const text of ['12Q', 'Mi', '', '1 ', '1.2.3']) assert.doesNotMatch(text, pattern);
  });
});

/** Quantity text from the grammar, with every suffix; sizes stay far inside the limits. */
const anyQuantityText = fc
  .tuple(
    fc.constantFrom('', '+', '-'),
    fc.stringMatching(/^\d{0,22}$/),
    fc.option(fc.stringMatching(/^\d{0,14}$/), { nil: undefined }),
    fc.oneof(
      fc.constantFrom('', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E'),
      fc.constantFrom('Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'),
      fc
        .tuple(fc.constantFrom('e', 'E'), fc.integer({ min: -40, max: 40 }))
        .map(([e, n]) => `${e}${n}`),
    ),
  )
  .filter(([, whole, fraction]) => whole !== '' || (fraction ?? '') !== '')
  .map(([sign, whole, fraction, suffix]) =>
    fraction === undefined ? `${sign}${whole}${suffix}` : `${sign}${whole}.${fraction}${suffix}`,
  );
/** Small whole binary quantities, so canonical forms with `Ki`…`Ei` come up often. */
const binaryText = fc
  .tuple(fc.integer({ min: -5000, max: 5000 }), fc.constantFrom('Ki', 'Mi', 'Gi', 'Ti', 'Pi'))
  .map(([count, suffix]) => `${count}${suffix}`);
const quantityText = fc.oneof(anyQuantityText, binaryText);
const quantity = quantityText.map(parseQuantity);

describe('quantity properties', () => {
  it('parse(format(q)) has the value of q, and its canonical text is stable', () => {
    fc.assert(
      fc.property(quantity, (q) => {
        const text = formatQuantity(q);
        const again = parseQuantity(text);
        assert.equal(nanos(again), nanos(q));
        // A BinarySI value that is no multiple of 1024 is written as a plain number (as
        // Kubernetes writes it), which reads back DecimalSI: stable from the second round on.
        const canonical = formatQuantity(again);
        assert.equal(formatQuantity(parseQuantity(canonical)), canonical);
        if (q.format !== 'BinarySI') assert.equal(canonical, text);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a BinarySI value that is no multiple of 1024 as a plain number, as Kubernetes does', () => {
    const q = { mantissa: 992n, exponent: 3, format: 'BinarySI' } as const;
    assert.equal(formatQuantity(q), '992000');
    assert.equal(formatQuantity(parseQuantity('992000')), '992k');
    assert.equal(formatQuantity(parseQuantity('968.75Ki')), '992000');
  });

  it('canonicalQuantity is idempotent', () => {
    fc.assert(
      fc.property(quantityText, (text) => {
        const once = canonicalQuantity(text);
        assert.equal(canonicalQuantity(once), once);
      }),
      { numRuns: 2000 },
    );
  });

  it('compare is a total order that agrees with exact nano values', () => {
    fc.assert(
      fc.property(quantity, quantity, quantity, (a, b, c) => {
        const ab = compareQuantity(a, b);
        assert.equal(ab, nanos(a) < nanos(b) ? -1 : nanos(a) > nanos(b) ? 1 : 0);
        assert.equal(compareQuantity(b, a), opposite(ab));
        assert.equal(quantityEquals(a, b), ab === 0);
        if (ab <= 0 && compareQuantity(b, c) <= 0) assert.ok(compareQuantity(a, c) <= 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('add is exact and consistent with compare', () => {
    fc.assert(
      fc.property(quantity, quantity, (a, b) => {
        const sum = addQuantity(a, b);
        assert.equal(nanos(sum), nanos(a) + nanos(b));
        assert.equal(compareQuantity(sum, a), compareQuantity(b, parseQuantity('0')));
        assert.ok(quantityEquals(addQuantity(a, b), addQuantity(b, a)));
      }),
      { numRuns: 2000 },
    );
  });
});
