import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { toEnvelope } from '@paddock/api';
import type { PaddockError } from '@paddock/core';

/**
 * Answers an upgrade request that will not be upgraded with the ordinary error envelope, written
 * straight onto the socket (the `upgrade` event has no `ServerResponse`), then closes it.
 */
export function refuseUpgrade(
  socket: Duplex,
  error: PaddockError,
  requestId: string,
  status: number,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(toEnvelope(error, requestId));
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    'cache-control: no-store',
    'connection: close',
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
