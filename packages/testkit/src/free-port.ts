import { createServer } from 'node:net';

/**
 * A TCP port free on loopback now, for a process that must be told its port before it starts
 * (one it can be given port 0 should be).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
