// Test fixture (not exported): a real listener on 127.0.0.1:0 with the handler under test.
import { createServer, type Server } from 'node:http';
import { closeServer, listen } from './listen.ts';

export type Handler = Parameters<typeof createServer>[1] & {};

export type Listener = { url: string; server: Server; close(): Promise<void> };

export async function startListener(handler: Handler): Promise<Listener> {
  const server = createServer(handler);
  const url = await listen(server, 0, '127.0.0.1');
  return { url, server, close: () => closeServer(server) };
}
