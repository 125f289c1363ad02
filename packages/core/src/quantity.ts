/**
 * Kubernetes resource quantities (`500m`, `2`, `512Mi`, `1e9`), parsed, compared and written out
 * exactly as k8s.io/apimachinery/pkg/api/resource does, on bigints so no value is ever a float.
 *
 * Deliberate differences from Kubernetes, each on input no real manifest contains:
 * - A number needs at least one digit: Kubernetes reads `Mi`, `.`, `+` and `e5` as zero.
 * - An `e` exponent must fit an int32 (Kubernetes wraps larger ones silently), and a decimal
 *   value must stay below 10^308, which keeps exact arithmetic cheap.
 * - A BinarySI value that is a whole multiple of 1024^7 or more is written with `Ei`
 *   (`1024Ei`); Kubernetes drops the suffix and so prints the wrong value.
 */
import { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';

/** How a quantity is written; a parsed quantity keeps the format of its suffix. */
export const QuantityFormat = {
  /** Powers of 1024: `Ki Mi Gi Ti Pi Ei` (`512Mi`). */
  BinarySI: 'BinarySI',
  /** Powers of 1000: `n u m k M G T P E`, or none (`500m`, `2`, `1G`). */
  DecimalSI: 'DecimalSI',
  /** Scientific notation: `e<n>` or `E<n>` (`1e9`). */
  DecimalExponent: 'DecimalExponent',
} as const;
export type QuantityFormat = (typeof QuantityFormat)[keyof typeof QuantityFormat];

/**
 * An exact quantity: its value is `mantissa × 10^exponent`. The mantissa has no trailing zeros
 * (zero is `0n × 10^0`), so equal values have equal fields. Values are whole multiples of 10^-9,
 * as after any Kubernetes parse. Make one with `parseQuantity` or `addQuantity`, never by hand;
 * write it out with `formatQuantity` (a bigint is not JSON).
 */
export type Quantity = {
  readonly mantissa: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
};

/** The quantity grammar of Kubernetes, with at least one digit in the number. */
const QUANTITY_PATTERN =
  /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))([KMGTPE]i|[eE][+-]?\d+|[numkMGTPE])?$/;
const EXPECTED =
  'expected a number and an optional suffix, such as 500m, 2, 0.5, 512Mi, 1Gi or 1e9';
const SUFFIXES = 'n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or e<exponent>';

const DECIMAL_SUFFIX_EXPONENTS: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);
const DECIMAL_SUFFIXES: ReadonlyMap<number, string> = new Map(
  [...DECIMAL_SUFFIX_EXPONENTS].map(([suffix, exponent]) => [exponent, suffix]),
);
/** Binary suffixes by their power of 1024; index 0 is no suffix. */
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const BINARY_POWERS: ReadonlyMap<string, number> = new Map(BINARY_SUFFIXES.map((s, i) => [s, i]));

const NANO = -9;
/** Kubernetes caps a parsed BinarySI magnitude at the largest int64. */
const MAX_INT64 = 2n ** 63n - 1n;
/** Decimal values must be below 10^MAX_MAGNITUDE_DIGITS. */
const MAX_MAGNITUDE_DIGITS = 308;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function invalid(text: string, reason: string): PaddockError {
  const message = `invalid quantity ${JSON.stringify(text)}: ${reason}`;
  return new PaddockError(ErrorCode.ValidationFailed, message, {
    value: text,
    issues: [{ path: '(root)', message }],
  });
}

function syntaxReason(text: string): string {
  const number = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)/.exec(text);
  if (text === '') return `empty string, ${EXPECTED}`;
  if (number === null) return EXPECTED;
  const rest = text.slice(number[0].length);
  if (/^[\d.]/.test(rest)) return `malformed number, ${EXPECTED}`;
  return `unknown suffix ${JSON.stringify(rest)}, expected ${SUFFIXES}`;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function digitCount(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

/** Builds a quantity in normal form: trailing zeros of the mantissa moved into the exponent. */
function normal(mantissa: bigint, exponent: number, format: QuantityFormat): Quantity {
  if (mantissa === 0n) return { mantissa, exponent: 0, format };
  let m = mantissa;
  let e = exponent;
  while (m % 10n === 0n) {
    m /= 10n;
    e += 1;
  }
  return { mantissa: m, exponent: e, format };
}

/** Rounds a positive `m × 10^e` away from zero to a multiple of 10^-9, as Kubernetes parsing does. */
function roundUpToNano(m: bigint, e: number): [bigint, number] {
  if (e >= NANO) return [m, e];
  const cut = NANO - e;
  if (digitCount(m) <= cut) return [1n, NANO];
  const divisor = pow10(cut);
  return [m / divisor + (m % divisor === 0n ? 0n : 1n), NANO];
}

/**
 * Parses a Kubernetes quantity. Like Kubernetes it rounds a value finer than 10^-9 away from
 * zero (`0.9n` is `1n`), caps a BinarySI magnitude at 2^63-1 (`9Ei`), and turns a BinarySI
 * value between -1 and 1 into DecimalSI. Throws `PaddockError` `validation_failed` naming the
 * text and the problem, e.g. `invalid quantity "12Q": unknown suffix "Q", …`.
 */
export function parseQuantity(text: string): Quantity {
  const match = QUANTITY_PATTERN.exec(text);
  if (match === null) throw invalid(text, syntaxReason(text));
  const [, sign, whole = '', fractionA, fractionB, suffix = ''] = match;
  const fraction = fractionA ?? fractionB ?? '';

  let format: QuantityFormat = QuantityFormat.DecimalSI;
  let exponent = -fraction.length;
  let power1024 = 0;
  const binaryPower = BINARY_POWERS.get(suffix) ?? 0;
  if (binaryPower > 0) {
    format = QuantityFormat.BinarySI;
    power1024 = binaryPower;
  } else if (suffix.length > 1) {
    const literal = Number(suffix.slice(1));
    if (literal < INT32_MIN || literal > INT32_MAX) {
      throw invalid(text, `exponent ${suffix.slice(1)} is out of range`);
    }
    format = QuantityFormat.DecimalExponent;
    exponent += literal;
  } else {
    exponent += DECIMAL_SUFFIX_EXPONENTS.get(suffix) ?? 0;
  }

  // Trim zeros on the digit string, so long inputs never loop over a bigint.
  const all = whole + fraction;
  let end = all.length;
  while (end > 0 && all[end - 1] === '0') end -= 1;
  const digits = all.slice(0, end).replace(/^0+/, '');
  exponent += all.length - end;
  if (digits === '') return { mantissa: 0n, exponent: 0, format };

  // The value lies in [10^(magnitude-1), 10^magnitude) times 1024^power1024.
  const magnitude = digits.length + exponent;
  let mantissa: bigint;
  if (format === QuantityFormat.BinarySI) {
    if (magnitude > 19) {
      [mantissa, exponent] = [MAX_INT64, 0];
    } else {
      [mantissa, exponent] = roundUpToNano(BigInt(digits) * 1024n ** BigInt(power1024), exponent);
      if (compareMagnitude({ mantissa, exponent }, { mantissa: MAX_INT64, exponent: 0 }) > 0) {
        [mantissa, exponent] = [MAX_INT64, 0];
      }
      if (exponent < 0 && mantissa < pow10(-exponent)) format = QuantityFormat.DecimalSI;
    }
  } else {
    if (magnitude > MAX_MAGNITUDE_DIGITS) {
      throw invalid(text, `magnitude must be below 1e${MAX_MAGNITUDE_DIGITS}`);
    }
    [mantissa, exponent] = roundUpToNano(BigInt(digits), exponent);
  }
  return normal(sign === '-' ? -mantissa : mantissa, exponent, format);
}

/** True when `parseQuantity(text)` would succeed. */
export function isQuantity(text: string): boolean {
  try {
    parseQuantity(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `q` in the canonical form of Kubernetes' `Quantity.String()`: exact, no fractional
 * digits, the largest suffix of the quantity's format (`1.5` → `1500m`, `1.5Gi` → `1536Mi`,
 * `1e3` → `1e3`, `1000E` → `1e21`). A BinarySI value that is below 1024 in magnitude or not
 * whole is written as DecimalSI (`0.5Ki` → `512`, `1.1Ki` → `1126400m`).
 */
export function formatQuantity(quantity: Quantity): string {
  const q = normal(quantity.mantissa, quantity.exponent, quantity.format);
  if (q.mantissa === 0n) return '0';
  const isWholeBinary =
    q.format === QuantityFormat.BinarySI &&
    q.exponent >= 0 &&
    compareMagnitude(q, { mantissa: 1024n, exponent: 0 }) >= 0;
  if (isWholeBinary) {
    let value = q.mantissa * pow10(q.exponent);
    let power = 0;
    while (value % 1024n === 0n) {
      value /= 1024n;
      power += 1;
    }
    const top = BINARY_SUFFIXES.length - 1;
    if (power > top) value *= 1024n ** BigInt(power - top);
    return `${value}${BINARY_SUFFIXES[Math.min(power, top)] ?? ''}`;
  }
  // Lower the exponent to a multiple of three, as Kubernetes does, then pick its suffix.
  const shift = ((q.exponent % 3) + 3) % 3;
  const mantissa = q.mantissa * pow10(shift);
  const exponent = q.exponent - shift;
  const suffix =
    q.format === QuantityFormat.DecimalExponent ? undefined : DECIMAL_SUFFIXES.get(exponent);
  return `${mantissa}${suffix ?? (exponent === 0 ? '' : `e${exponent}`)}`;
}

/** Parses and re-writes a quantity in canonical form (`0.5Gi` → `512Mi`); throws like `parseQuantity`. */
export function canonicalQuantity(text: string): string {
  return formatQuantity(parseQuantity(text));
}

type Amount = Pick<Quantity, 'mantissa' | 'exponent'>;

/** Compares |a| and |b|; settles far-apart magnitudes by digit count before aligning. */
function compareMagnitude(a: Amount, b: Amount): -1 | 0 | 1 {
  const x = a.mantissa < 0n ? -a.mantissa : a.mantissa;
  const y = b.mantissa < 0n ? -b.mantissa : b.mantissa;
  if (x === 0n || y === 0n) return x === y ? 0 : x === 0n ? -1 : 1;
  const mx = digitCount(x) + a.exponent;
  const my = digitCount(y) + b.exponent;
  if (mx !== my) return mx < my ? -1 : 1;
  const low = Math.min(a.exponent, b.exponent);
  const ax = x * pow10(a.exponent - low);
  const by = y * pow10(b.exponent - low);
  return ax === by ? 0 : ax < by ? -1 : 1;
}

/** Orders two quantities by value, ignoring format: -1 if a < b, 0 if equal, 1 if a > b. */
export function compareQuantity(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const sa = a.mantissa < 0n ? -1 : a.mantissa > 0n ? 1 : 0;
  const sb = b.mantissa < 0n ? -1 : b.mantissa > 0n ? 1 : 0;
  if (sa !== sb) return sa < sb ? -1 : 1;
  const magnitude = compareMagnitude(a, b);
  if (sa >= 0 || magnitude === 0) return magnitude;
  return magnitude < 0 ? 1 : -1;
}

/** True when a and b have the same value, whatever their formats (`1Ki` equals `1024`). */
export function quantityEquals(a: Quantity, b: Quantity): boolean {
  return compareQuantity(a, b) === 0;
}

/**
 * The exact sum a + b. Like Kubernetes' `Add`, it keeps the format of `a`, or of `b` when `a`
 * is zero; it neither rounds nor caps.
 */
export function addQuantity(a: Quantity, b: Quantity): Quantity {
  const format = a.mantissa === 0n ? b.format : a.format;
  const low = Math.min(a.exponent, b.exponent);
  const sum = a.mantissa * pow10(a.exponent - low) + b.mantissa * pow10(b.exponent - low);
  return normal(sum, low, format);
}

/** `q / 10^scale` rounded away from zero to a whole number. */
function scaledValue(q: Quantity, scale: number): bigint {
  const exponent = q.exponent - scale;
  if (exponent >= 0) return q.mantissa * pow10(exponent);
  const divisor = pow10(-exponent);
  const quotient = q.mantissa / divisor;
  if (q.mantissa % divisor === 0n) return quotient;
  return q.mantissa < 0n ? quotient - 1n : quotient + 1n;
}

/** The value in thousandths (CPU millicores), rounded away from zero like `MilliValue`. */
export function quantityToMilli(q: Quantity): bigint {
  return scaledValue(q, -3);
}

/** The value as a whole number (bytes), rounded away from zero like `Value`. */
export function quantityToInteger(q: Quantity): bigint {
  return scaledValue(q, 0);
}

/** The nearest JS number, for display only; never use it for arithmetic or limits. */
export function quantityToNumber(q: Quantity): number {
  return Number(`${q.mantissa}e${q.exponent}`);
}

/**
 * A Kubernetes quantity string. The grammar is a regex, so it survives JSON Schema export; a
 * refinement then applies the range checks of `parseQuantity`. The value stays as written.
 */
export const QuantityString = z
  .string()
  .regex(QUANTITY_PATTERN, {
    error: `must be a Kubernetes quantity: ${EXPECTED}`,
    abort: true,
  })
  .superRefine((text, ctx) => {
    try {
      parseQuantity(text);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ctx.addIssue({ code: 'custom', message, input: text });
    }
  });

/** The sizes storage may have (a size-limited workspace, a volume): 16Mi to 16Ti. */
export const STORAGE_SIZE_BOUNDS = { min: 16n * 1024n ** 2n, max: 16n * 1024n ** 4n } as const;

/** A storage size: a quantity between 16Mi and 16Ti, refused at admission otherwise. */
export const StorageSize = QuantityString.refine(
  (text) => {
    let bytes: bigint;
    try {
      bytes = quantityToInteger(parseQuantity(text));
    } catch {
      return true; // QuantityString reports it
    }
    return bytes >= STORAGE_SIZE_BOUNDS.min && bytes <= STORAGE_SIZE_BOUNDS.max;
  },
  { message: 'must be between 16Mi and 16Ti' },
);
