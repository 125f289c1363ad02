import { type DuplexStream, ErrorCode, PaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import { ChannelProtocol, decodeMessage, encodeChunks } from './channel-protocol.ts';
import { openChannelSocket } from './channel-socket.ts';
import { OutputStream } from './output-stream.ts';

/** A TCP port of a pod. */
export type PodPort = { namespace: string; pod: string; port: number };

/** The channels of the first (only) port of a port-forward session: data, then its errors. */
export const PortForwardChannel = { Data: 0, Error: 1 } as const;

/** The port number the server sends first on each channel of a port: two bytes, little endian. */
export const PORT_PREFIX_BYTES = 2;

const HIGH_WATER_MARK_BYTES = 1024 * 1024;

/**
 * One TCP connection to `port` in a pod through the API server's `pods/portforward` over
 * WebSocket (`v4.channel.k8s.io`, spoken by the kubelet): channel 0 carries the connection's
 * bytes both ways, channel 1 the kubelet's error text; the server starts each with the port
 * number (two bytes, little endian), which is not data. One WebSocket is one connection.
 *
 * The readable ends when the connection does; it errors `not_found` when nothing listens on the
 * port (the kubelet's "connection refused"), `runtime_unavailable` for any other error text. The
 * protocol cannot half-close: closing the writable sends nothing (the reply still comes), `close`
 * ends the whole connection.
 */
export async function forwardPort(client: KubeClient, target: PodPort): Promise<DuplexStream> {
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new PaddockError(ErrorCode.ValidationFailed, `port ${target.port} is no TCP port`, {
      issues: [{ path: 'port', message: 'must be a whole number from 1 to 65535' }],
    });
  }
  const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/portforward`;
  const query = new URLSearchParams({ ports: String(target.port) });
  const { socket, protocol, listen } = await openChannelSocket(client, path, query, [
    ChannelProtocol.V4,
  ]);
  const prefixLeft = [PORT_PREFIX_BYTES, PORT_PREFIX_BYTES];
  let errorText = '';
  const output = new OutputStream(
    HIGH_WATER_MARK_BYTES,
    () => socket.resume(),
    () => socket.close(),
  );
  let isClosed = false;
  const closed = new Promise<void>((resolve) => {
    listen({
      message: receive,
      error: (error) => (errorText ||= error.message),
      close: () => {
        isClosed = true;
        end();
        resolve();
      },
    });
  });
  function receive(message: Buffer): void {
    const decoded = decodeMessage(message, protocol);
    if (decoded?.kind !== 'data' || decoded.channel > PortForwardChannel.Error) return;
    const skip = Math.min(prefixLeft[decoded.channel] ?? 0, decoded.data.byteLength);
    prefixLeft[decoded.channel] = (prefixLeft[decoded.channel] ?? 0) - skip;
    const data = decoded.data.subarray(skip);
    if (decoded.channel === PortForwardChannel.Error) {
      errorText += Buffer.from(data).toString('utf8');
    } else if (output.push(data)) {
      socket.pause();
    }
  }
  function end(): void {
    if (errorText === '') {
      output.close();
      return;
    }
    const isRefused = /connection refused/i.test(errorText);
    output.error(
      new PaddockError(
        isRefused ? ErrorCode.NotFound : ErrorCode.RuntimeUnavailable,
        isRefused
          ? `nothing listens on port ${target.port} in pod ${target.pod}`
          : `port forward to ${target.pod}:${target.port}: ${errorText}`,
        { port: target.port },
      ),
    );
  }
  const send = (frame: Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (socket.readyState !== socket.OPEN) {
        reject(new PaddockError(ErrorCode.RuntimeUnavailable, 'the port forward has ended'));
        return;
      }
      socket.send(frame, (error) => (error ? reject(error) : resolve()));
    });
  const close = async () => {
    if (!isClosed) socket.close();
    await closed;
  };
  return {
    readable: output.readable,
    writable: new WritableStream<Uint8Array>({
      write: async (chunk) => {
        for (const frame of encodeChunks(PortForwardChannel.Data, chunk)) await send(frame);
      },
      abort: close,
    }),
    close,
  };
}
