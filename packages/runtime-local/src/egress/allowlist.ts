import { isIP } from 'node:net';

/**
 * Pure matching of destination hosts against a sandbox's `network.allowedDomains`.
 *
 * Patterns: `example.com` matches that name only; `*.example.com` matches every strict subdomain
 * (`a.example.com`, `a.b.example.com`) but not `example.com` itself; an IP literal (`10.0.0.5`,
 * `::1` or `[::1]`) matches that address only. Comparison is case-insensitive and tolerates one
 * trailing dot on either side. Anything else (`*`, `foo*.com`, ports, URLs) matches nothing.
 */

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
/** A last label the WHATWG URL parser and inet_aton would read as a number (`127.1`, `0x7f`). */
const NUMERIC_LABEL = /^(0x[0-9a-f]*|[0-9]+)$/;
const MAX_HOSTNAME_LENGTH = 253;

/**
 * The canonical spelling of a destination host: lower case, one trailing dot dropped, IPv6
 * brackets removed and the address compressed (`[0:0::1]` → `::1`). Returns undefined for
 * anything that is neither a DNS hostname nor a plain IP literal: empty labels, non-ASCII,
 * zone ids (`fe80::1%eth0`), and numeric spellings that resolvers would turn into an address
 * (`2130706433`, `127.1`, `0x7f.1`).
 */
export function canonicalHost(host: string): string | undefined {
  if (host.startsWith('[') || host.includes(':')) return canonicalIpv6(host);
  const name = (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
  if (isIP(name) === 4) return name;
  if (name.length === 0 || name.length > MAX_HOSTNAME_LENGTH) return undefined;
  const labels = name.split('.');
  if (!labels.every((label) => LABEL.test(label))) return undefined;
  const last = labels.at(-1) ?? '';
  return NUMERIC_LABEL.test(last) ? undefined : name;
}

function canonicalIpv6(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.includes('%') || isIP(bare) !== 6) return undefined;
  // The URL parser prints the canonical compressed form, so equal addresses compare equal.
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

/** Whether a (canonical or raw) host is an IP literal rather than a name. */
export function isIpLiteral(host: string): boolean {
  const canonical = canonicalHost(host);
  return canonical !== undefined && isIP(canonical) !== 0;
}

/** Whether `pattern` is a pattern that can match something (see the module comment). */
export function isValidDomainPattern(pattern: string): boolean {
  if (pattern.startsWith('*.')) {
    const base = canonicalHost(pattern.slice(2));
    return base !== undefined && isIP(base) === 0;
  }
  return canonicalHost(pattern) !== undefined;
}

/** Whether `host` matches one pattern (see the module comment). */
export function matchesDomainPattern(host: string, pattern: string): boolean {
  const canonical = canonicalHost(host);
  if (canonical === undefined) return false;
  if (pattern.startsWith('*.')) {
    const base = canonicalHost(pattern.slice(2));
    if (base === undefined || isIP(base) !== 0 || isIP(canonical) !== 0) return false;
    return canonical.endsWith(`.${base}`);
  }
  return canonicalHost(pattern) === canonical;
}

/**
 * Whether a sandbox may reach `host` by name: true when any pattern matches. An IP literal is
 * allowed only when that literal is itself listed. This is the name check only; the proxy also
 * refuses names that resolve into loopback or private address space.
 */
export function isDomainAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => matchesDomainPattern(host, pattern));
}
