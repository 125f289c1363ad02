/**
 * Host ports for a new k3d cluster: those given explicitly, refused when taken (never moved);
 * for the rest, the defaults when free, otherwise the next free ones. "Free" is probed with a real listener on 127.0.0.1 (the address k3d publishes on), and ports another
 * Paddock cluster recorded in its session are never chosen (a stopped cluster holds none while
 * stopped, but takes them back on start).
 */
import { createServer } from 'node:net';
import { ErrorCode, PaddockError } from '@paddock/core';

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

/** The `paddock cluster create` flag that gives each port. */
export const PORT_FLAGS: Record<keyof HostPorts, string> = {
  api: '--api-port',
  http: '--http-port',
  https: '--https-port',
};

const ROLES = ['api', 'http', 'https'] as const;

/**
 * The ports given explicitly (`fixed`), each checked: a port another role is given too, one in
 * `taken` (`takenBy` names who recorded it) or one a listener holds is refused, all problems at
 * once, as `validation_failed` naming each port's flag. Never moved to another port.
 */
async function checkFixed(
  fixed: Partial<HostPorts>,
  options: { taken: ReadonlySet<number>; takenBy?: ReadonlyMap<number, string>; host: string },
): Promise<void> {
  const issues: Array<{ path: string; message: string }> = [];
  for (const role of ROLES) {
    const port = fixed[role];
    if (port === undefined) continue;
    const flag = PORT_FLAGS[role];
    const other = ROLES.find((r) => r !== role && fixed[r] === port);
    let why: string | undefined;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      why = 'must be a port number from 1 to 65535';
    } else if (other !== undefined) {
      why = `port ${port} is given to ${PORT_FLAGS[other]} too`;
    } else if (options.taken.has(port)) {
      const owner = options.takenBy?.get(port);
      why = `port ${port} is taken: ${owner === undefined ? 'another cluster recorded it' : `cluster ${owner} recorded it`}`;
    } else if (!(await isPortFree(port, options.host))) {
      why = `port ${port} is taken: something listens on ${options.host}:${port}`;
    }
    if (why !== undefined) issues.push({ path: flag, message: why });
  }
  if (issues.length === 0) return;
  throw new PaddockError(
    ErrorCode.ValidationFailed,
    `host ports: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')} (leave a flag out and a free port is chosen)`,
    { issues },
  );
}

/**
 * Each port given in `fixed` as it is (checked: see `checkFixed`); for each other role, the wanted
 * port when free, else the first free one of the next `span`, else one the OS picks; never one in
 * `taken` or already chosen for another role.
 */
export async function chooseHostPorts(
  options: {
    wanted?: HostPorts;
    fixed?: Partial<HostPorts>;
    taken?: Iterable<number>;
    takenBy?: ReadonlyMap<number, string>;
    host?: string;
    span?: number;
  } = {},
): Promise<HostPorts> {
  const wanted = options.wanted ?? DEFAULT_PORTS;
  const fixed = options.fixed ?? {};
  const host = options.host ?? '127.0.0.1';
  const span = options.span ?? 100;
  const used = new Set(options.taken ?? []);
  await checkFixed(fixed, {
    taken: used,
    host,
    ...(options.takenBy !== undefined && { takenBy: options.takenBy }),
  });
  for (const role of ROLES) {
    const port = fixed[role];
    if (port !== undefined) used.add(port);
  }
  const pick = async (start: number): Promise<number> => {
    for (let port = start; port < Math.min(start + span, 65_536); port++) {
      if (!used.has(port) && (await isPortFree(port, host))) return port;
    }
    for (;;) {
      const port = await anyFreePort(host);
      if (!used.has(port)) return port;
    }
  };
  const take = async (role: (typeof ROLES)[number]) => {
    const given = fixed[role];
    if (given !== undefined) return given;
    const port = await pick(wanted[role]);
    used.add(port);
    return port;
  };
  const api = await take('api');
  const http = await take('http');
  return { api, http, https: await take('https') };
}
