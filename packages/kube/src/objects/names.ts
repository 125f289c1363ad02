/**
 * Names and label values of the objects a Sandbox owns. Kubernetes refuses a name that is not a
 * DNS label (63 characters of `[a-z0-9-]`, alphanumeric at both ends), so a name built from
 * longer parts is cut and given a hash of the whole, which keeps distinct inputs distinct.
 */
import { createHash } from 'node:crypto';

const MAX_LABEL = 63;
const HASH_CHARS = 8;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The first `chars` hex digits of the SHA-256 of `text`. */
export function shortHash(text: string, chars = HASH_CHARS): string {
  return createHash('sha256').update(text).digest('hex').slice(0, chars);
}

/** `text` lowercased, with every run of characters a DNS label cannot hold turned into one '-'. */
function sanitize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A DNS label (RFC 1123) for `text`: itself when it already is one, else sanitised and, when
 * longer than 63 characters or changed by sanitising, cut and suffixed with `-<hash of text>`.
 */
export function dnsLabel(text: string): string {
  if (text.length <= MAX_LABEL && DNS_LABEL.test(text)) return text;
  const clean = sanitize(text);
  const head = clean.slice(0, MAX_LABEL - HASH_CHARS - 1).replace(/-+$/, '');
  return head === '' ? `h${shortHash(text)}` : `${head}-${shortHash(text)}`;
}

/**
 * `<base>-<suffix>` as a DNS label; when too long, the base is cut (the suffix kept, so the
 * object's role stays readable) and a hash of the whole name added.
 */
export function objectName(base: string, suffix: string): string {
  const whole = `${base}-${suffix}`;
  if (whole.length <= MAX_LABEL && DNS_LABEL.test(whole)) return whole;
  const tail = `-${shortHash(whole)}-${sanitize(suffix)}`.slice(0, MAX_LABEL - 1);
  const head = sanitize(base)
    .slice(0, MAX_LABEL - tail.length)
    .replace(/-+$/, '');
  return dnsLabel(`${head === '' ? 'x' : head}${tail}`);
}

/** A Service name: a DNS label that starts with a letter (RFC 1035), `s` prefixed when needed. */
export function serviceName(base: string, suffix: string): string {
  const name = objectName(base, suffix);
  return /^[a-z]/.test(name) ? name : objectName(`s${base}`, suffix);
}

/** A label value for `text`: itself when valid, else cut and hashed like `dnsLabel`. */
export function labelValue(text: string): string {
  if (text.length <= MAX_LABEL && LABEL_VALUE.test(text)) return text;
  return dnsLabel(text);
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
