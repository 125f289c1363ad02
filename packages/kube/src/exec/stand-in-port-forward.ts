// Test support: one pods/portforward session of the stand-in API server, to real local ports.
import { connect, type Socket } from 'node:net';
import type WebSocket from 'ws';
import { type ChannelProtocol, decodeMessage, encodeData } from './channel-protocol.ts';

/**
 * Serves a port forward as the kubelet does: for port i, channel 2i carries the connection and
 * 2i+1 its errors; each starts with the port number (two bytes, little endian). The connection
 * goes to 127.0.0.1 (the pod's loopback stands in for its network namespace); a refused one is
 * reported on the error channel in the kubelet's words and ends the session, as does the end of
 * any connection.
 */
export function servePortForward(
  socket: WebSocket,
  protocol: ChannelProtocol,
  pod: string,
  ports: number[],
): void {
  const connections: Socket[] = [];
  ports.forEach((port, index) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    socket.send(encodeData(2 * index, prefix));
    socket.send(encodeData(2 * index + 1, prefix));
    const connection = connect(port, '127.0.0.1');
    connections.push(connection);
    connection.on('data', (data) => {
      connection.pause();
      socket.send(encodeData(2 * index, data), () => connection.resume());
    });
    connection.once('error', (error) => {
      const message = `error forwarding port ${port} to pod ${pod}, uid : failed to connect to localhost:${port} inside namespace "stand-in", IPv4: dial tcp4 127.0.0.1:${port}: connect: ${error.message.includes('ECONNREFUSED') ? 'connection refused' : error.message}`;
      socket.send(encodeData(2 * index + 1, Buffer.from(message)), () => socket.close(1000));
    });
    connection.once('end', () => socket.close(1000));
  });
  socket.on('message', (message: Buffer) => {
    const decoded = decodeMessage(message, protocol);
    if (decoded?.kind !== 'data' || decoded.channel % 2 !== 0) return;
    const connection = connections[decoded.channel / 2];
    if (connection?.writable) connection.write(decoded.data);
  });
  socket.once('close', () => {
    for (const connection of connections) connection.destroy();
  });
}
