import type { IncomingMessage } from 'node:http';
import { ErrorCode, PaddockError } from '@paddock/core';
import WebSocket from 'ws';
import { kubeError } from '../client/errors.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { ChannelProtocol } from './channel-protocol.ts';

/** What a session listens to; `close` comes once, last. */
export type ChannelListener = {
  message(message: Buffer): void;
  error(error: Error): void;
  close(): void;
};

/**
 * An open channel WebSocket and the subprotocol the server chose. Messages that arrive before
 * `listen` (the server's first ones come with the upgrade's answer) are kept and given to it.
 */
export type ChannelSocket = {
  socket: WebSocket;
  protocol: ChannelProtocol;
  listen(listener: ChannelListener): void;
};

const HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * Opens a WebSocket to `path` (a pod's `exec` or `portforward`) offering `protocols`, best first,
 * authenticated as every request of `client` is. An error answer instead of the upgrade is the
 * `PaddockError` `kubeError` makes of it (404 `not_found` for a missing pod, 400
 * `validation_failed` for a container that does not run, 403 `forbidden`); a failed connection
 * or a subprotocol outside `protocols` is `runtime_unavailable`.
 */
export async function openChannelSocket(
  client: KubeClient,
  path: string,
  query: URLSearchParams,
  protocols: readonly ChannelProtocol[],
): Promise<ChannelSocket> {
  const { url, headers, tls } = await client.upgradeOptions(path, query);
  const socket = new WebSocket(url, [...protocols], {
    ...tls,
    headers,
    perMessageDeflate: false,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  });
  return new Promise((resolve, reject) => {
    const fail = (error: PaddockError) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      reject(error);
    };
    socket.once('unexpected-response', (request, response: IncomingMessage) => {
      readBody(response).then(
        (body) => {
          request.destroy();
          fail(kubeError(response.statusCode ?? 0, body, `WebSocket ${path}`));
        },
        (error: Error) =>
          fail(
            new PaddockError(ErrorCode.RuntimeUnavailable, `WebSocket ${path}: ${error.message}`),
          ),
      );
    });
    socket.once('error', (error) => {
      fail(
        new PaddockError(
          ErrorCode.RuntimeUnavailable,
          `Kubernetes API WebSocket ${path}: ${error.message}`,
        ),
      );
    });
    socket.once('open', () => {
      socket.removeAllListeners();
      const early: Array<(listener: ChannelListener) => void> = [];
      let current: ChannelListener | undefined;
      const dispatch = (event: (listener: ChannelListener) => void) =>
        current === undefined ? early.push(event) : event(current);
      socket.on('message', (message: Buffer, isBinary: boolean) => {
        if (isBinary) dispatch((l) => l.message(message));
      });
      socket.on('error', (error) => dispatch((l) => l.error(error)));
      socket.once('close', () => dispatch((l) => l.close()));
      const protocol = protocols.find((p) => p === socket.protocol);
      if (protocol === undefined) {
        fail(
          new PaddockError(
            ErrorCode.RuntimeUnavailable,
            `Kubernetes API ${path} chose subprotocol ${JSON.stringify(socket.protocol)}, not one of ${protocols.join(', ')}`,
          ),
        );
        return;
      }
      const listen = (listener: ChannelListener) => {
        current = listener;
        for (const event of early.splice(0)) event(listener);
      };
      resolve({ socket, protocol, listen });
    });
  });
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.once('error', reject);
  });
}
