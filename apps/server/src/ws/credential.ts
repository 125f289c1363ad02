import type { IncomingMessage } from 'node:http';
import { BEARER_PROTOCOL_PREFIX } from '@paddock/api';

export { BEARER_PROTOCOL_PREFIX };

/** Subprotocols a client offered, in order (`Sec-WebSocket-Protocol`, comma-separated). */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * The `Authorization` value of a request that may not be able to send headers: the header itself
 * when present, else `Bearer <token>` from a `paddock.bearer.<token>` subprotocol (upgrades only),
 * else from the query parameter `queryParam`. Tokens never reach a log or an audit record: the
 * audit keeps only the path, and callers strip the parameter before forwarding anything.
 */
export function authorizationOf(
  req: IncomingMessage,
  url: URL,
  options: { queryParam: string; isUpgrade: boolean },
): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) return header;
  if (options.isUpgrade) {
    const offered = offeredProtocols(req).find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
    if (offered !== undefined) return `Bearer ${offered.slice(BEARER_PROTOCOL_PREFIX.length)}`;
  }
  const fromQuery = url.searchParams.get(options.queryParam);
  return fromQuery === null ? undefined : `Bearer ${fromQuery}`;
}
