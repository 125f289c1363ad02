import { BEARER_PROTOCOL_PREFIX } from '../ws/credential.ts';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and proxy credentials: never forwarded either way. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Cookies whose name starts with this belong to Paddock and never reach a sandbox. */
const PADDOCK_COOKIE = /^\s*paddock/i;

function connectionTokens(value: string | undefined): Set<string> {
  return new Set(
    (value ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t.length > 0),
  );
}

/**
 * Request headers for the sandbox, from `rawHeaders` (order and repeats kept): minus hop-by-hop
 * headers and those named in `Connection`, minus Paddock's credentials (`Authorization`, the
 * `paddock.bearer.*` subprotocol, `paddock*` cookies), `Host` set to the port, and
 * `X-Forwarded-Prefix` telling the app where it is mounted (when not at the root of its host). For a WebSocket upgrade,
 * `Connection: Upgrade` and `Upgrade: websocket` are put back. `X-Forwarded-Proto: https` when
 * the browser reached the preview over https.
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  options: {
    port: number;
    prefix: string;
    isUpgrade: boolean;
    remoteAddress: string | undefined;
    /** Set when the preview listener serves https: `X-Forwarded-Proto: https` tells the app. */
    isSecure: boolean;
  },
): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    pairs.push([rawHeaders[i] ?? '', rawHeaders[i + 1] ?? '']);
  const named = connectionTokens(pairs.find(([n]) => n.toLowerCase() === 'connection')?.[1]);
  const out: [string, string][] = [];
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    if (lower === 'host' || lower === 'authorization' || lower.startsWith('x-forwarded-')) continue;
    if (lower === 'cookie') {
      const kept = value.split(';').filter((c) => !PADDOCK_COOKIE.test(c));
      if (kept.length > 0) out.push([name, kept.join(';').trim()]);
      continue;
    }
    if (lower === 'sec-websocket-protocol') {
      const kept = value
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0 && !p.startsWith(BEARER_PROTOCOL_PREFIX));
      if (kept.length > 0) out.push([name, kept.join(', ')]);
      continue;
    }
    out.push([name, value]);
  }
  out.push(['host', `localhost:${options.port}`]);
  if (options.prefix !== '') out.push(['x-forwarded-prefix', options.prefix]);
  if (options.remoteAddress !== undefined) out.push(['x-forwarded-for', options.remoteAddress]);
  if (options.isSecure) out.push(['x-forwarded-proto', 'https']);
  if (options.isUpgrade) out.push(['connection', 'Upgrade'], ['upgrade', 'websocket']);
  else out.push(['connection', 'close']);
  return out;
}

/** Response headers for the client: minus hop-by-hop ones and cookies named `paddock*`. */
export function downstreamResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const named = connectionTokens(
    typeof headers.connection === 'string' ? headers.connection : undefined,
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    if (name === 'set-cookie') {
      const kept = (Array.isArray(value) ? value : [value]).filter((c) => !PADDOCK_COOKIE.test(c));
      if (kept.length > 0) out[name] = kept;
      continue;
    }
    out[name] = value;
  }
  return out;
}
