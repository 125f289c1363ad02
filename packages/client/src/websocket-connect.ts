import { BEARER_PROTOCOL_PREFIX } from '@paddock/api';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { ResolvedOptions } from './client-options.ts';

export type SocketTarget = {
  /** The path under the base URL (`/ws/terminal/default/box`). */
  path: string;
  query?: Readonly<Record<string, string | number | undefined>>;
  /** The subprotocol the server must select. */
  protocol: string;
};

/**
 * Why the server refused the upgrade. A WebSocket client learns nothing of a refused handshake
 * (not even the status), so `explain` asks the REST API the same question the server asked.
 */
export type ExplainRefusal = () => Promise<PaddockError>;

/** The WebSocket URL of `target` under the client's base URL (path prefix kept). */
export function socketUrl(baseUrl: URL, target: SocketTarget): URL {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = url.pathname.replace(/\/+$/, '') + target.path;
  for (const [name, value] of Object.entries(target.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url;
}

/**
 * Opens a WebSocket (the global one: Node 24, browsers) with the token as a
 * `paddock.bearer.<token>` subprotocol beside `target.protocol`, and resolves once it is open.
 * A refused or failed handshake rejects with `explain()`'s error.
 */
export async function openWebSocket(
  options: ResolvedOptions,
  target: SocketTarget,
  explain: ExplainRefusal,
): Promise<WebSocket> {
  if (typeof globalThis.WebSocket !== 'function') {
    throw new PaddockError(ErrorCode.ValidationFailed, 'no global WebSocket in this runtime');
  }
  const token = typeof options.token === 'function' ? await options.token() : options.token;
  const protocols = [target.protocol, ...(token ? [`${BEARER_PROTOCOL_PREFIX}${token}`] : [])];
  const ws = new WebSocket(socketUrl(options.baseUrl, target), protocols);
  ws.binaryType = 'arraybuffer';
  const isOpen = await new Promise<boolean>((resolve) => {
    const settle = (value: boolean) => {
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('close', onClose);
      resolve(value);
    };
    const onOpen = () => settle(true);
    const onClose = () => settle(false);
    ws.addEventListener('open', onOpen);
    ws.addEventListener('close', onClose);
  });
  if (isOpen) return ws;
  throw await explain();
}

/**
 * The usual explanation of a refused upgrade: whatever error `probe` (a REST call about the same
 * sandbox) throws, else `fallback`. Network failures of the probe come back as its own error.
 */
export async function explainWith(
  probe: () => Promise<PaddockError | undefined>,
  fallback: string,
): Promise<PaddockError> {
  try {
    return (await probe()) ?? new PaddockError(ErrorCode.RuntimeUnavailable, fallback);
  } catch (error) {
    if (error instanceof PaddockError) return error;
    return new PaddockError(ErrorCode.RuntimeUnavailable, fallback, {}, { cause: error });
  }
}
