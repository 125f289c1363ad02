/**
 * Host ports for a new k3d cluster: the defaults when free, otherwise the next free ones. "Free"
 * is probed with a real listener on 127.0.0.1 (the address k3d publishes on), and ports another
 * Paddock cluster recorded in its session are never chosen (a stopped cluster holds none while
 * stopped, but takes them back on start).
 */
import { createServer } from 'node:net';

export type HostPorts = { api: number; http: number; https: number };

export const DEFAULT_PORTS: HostPorts = { api: 6550, http: 8080, https: 8443 };

/** Whether a listener can bind `port` on `host` right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A port the OS picks as free. */
function anyFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * For each wanted port: itself when free, else the first free one of the next `span`, else one the
 * OS picks; never one in `taken` or already chosen for another role.
 */
export async function chooseHostPorts(
  options: { wanted?: HostPorts; taken?: Iterable<number>; host?: string; span?: number } = {},
): Promise<HostPorts> {
  const wanted = options.wanted ?? DEFAULT_PORTS;
  const host = options.host ?? '127.0.0.1';
  const span = options.span ?? 100;
  const used = new Set(options.taken ?? []);
  const pick = async (start: number): Promise<number> => {
    for (let port = start; port < Math.min(start + span, 65_536); port++) {
      if (!used.has(port) && (await isPortFree(port, host))) return port;
    }
    for (;;) {
      const port = await anyFreePort(host);
      if (!used.has(port)) return port;
    }
  };
  const take = async (start: number) => {
    const port = await pick(start);
    used.add(port);
    return port;
  };
  const api = await take(wanted.api);
  const http = await take(wanted.http);
  return { api, http, https: await take(wanted.https) };
}
