import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { connect, createServer, isIP, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
import { canonicalHost } from './allowlist.ts';
import { createDialer, type EgressEvent, type HostService, isPort } from './egress-dialer.ts';
import { createHttpProxy } from './http-proxy.ts';
import { withShortSocketPath } from './socket-path.ts';
import { SOCKS5_VERSION, serveSocks5 } from './socks5.ts';

/** Bounds on what one client may hold. Every field has a default. */
export type EgressLimits = {
  /** Time to connect to an upstream, all its addresses together. */
  connectTimeoutMs: number;
  /** Time for a client to send its first request head or SOCKS5 handshake. */
  handshakeTimeoutMs: number;
  /** A connection or tunnel with no traffic this long is closed. */
  idleTimeoutMs: number;
  /** Largest HTTP request head (request line and headers); past it, 431. */
  maxHeaderBytes: number;
  /** Concurrent client connections; past it, new ones are dropped. */
  maxConnections: number;
};

export const DEFAULT_EGRESS_LIMITS: EgressLimits = {
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 30_000,
  idleTimeoutMs: 15 * 60_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 512,
};

export type EgressProxyOptions = {
  /** Unix socket to listen on; its directory is created 0700 if missing. Mode 0600. */
  socketPath: string;
  /** The sandbox template's `network.allowedDomains` (see allowlist.ts for the patterns). */
  allowedDomains: readonly string[];
  /** Host-side services the sandbox may reach at a fixed address (see HostService). */
  hostServices?: readonly HostService[];
  /** Every allowed, refused, failed and malformed request, for the sandbox's events. */
  log?: (event: EgressEvent) => void;
  limits?: Partial<EgressLimits>;
};

export type EgressProxy = {
  /** Stop listening, destroy all client and upstream connections, remove the socket. Idempotent. */
  close(): Promise<void>;
  socketPath: string;
};

/**
 * Start the egress proxy of one `allowlist` sandbox: one Unix socket that speaks both an HTTP
 * proxy (absolute-URI `http://` requests and CONNECT tunnels) and SOCKS5 (no auth, CONNECT),
 * told apart by the first byte. Only allow-listed destinations are opened, DNS is resolved here,
 * and names resolving to loopback, private or link-local addresses are refused.
 *
 * The socket is owned by this process's user with mode 0600: a sandbox whose user namespace maps
 * its uid to this user can connect; other host users cannot. Bind the socket's DIRECTORY into the
 * sandbox (not the file), so a proxy restarted after a control-plane restart is seen at once.
 * A stale socket file left by a dead proxy is replaced.
 *
 * Throws `validation_failed` for a malformed HostService, `runtime_unavailable` when the socket
 * cannot be bound.
 */
export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const limits = { ...DEFAULT_EGRESS_LIMITS, ...options.limits };
  const hostServices = options.hostServices ?? [];
  validateHostServices(hostServices);
  const log = options.log ?? (() => {});
  const sockets = new Set<Socket>();
  let isClosed = false;
  const track = (socket: Socket) => {
    if (isClosed) return socket.destroy();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const dial = createDialer({
    allowedDomains: options.allowedDomains,
    hostServices,
    connectTimeoutMs: limits.connectTimeoutMs,
    track,
    log,
  });
  const http = createHttpProxy({ dial, log, ...limits });
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    track(socket);
    socket.on('error', () => socket.destroy());
    const timer = setTimeout(() => socket.destroy(), limits.handshakeTimeoutMs);
    const onEnd = () => socket.destroy();
    const onReadable = () => {
      const first: Buffer | null = socket.read(1);
      if (first === null) return;
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.unshift(first);
      if (first[0] === SOCKS5_VERSION) serveSocks5(socket, { dial, log, ...limits });
      else http.emit('connection', socket);
    };
    socket.once('close', () => clearTimeout(timer));
    socket.on('end', onEnd);
    socket.on('readable', onReadable);
  });
  server.maxConnections = limits.maxConnections;
  await listen(server, options.socketPath);
  await chmod(options.socketPath, 0o600);

  let closing: Promise<void> | undefined;
  const close = async () => {
    isClosed = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
    await rm(options.socketPath, { force: true });
  };
  return {
    socketPath: options.socketPath,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

function validateHostServices(services: readonly HostService[]): void {
  const issues = services.flatMap((service, index) =>
    canonicalHost(service.host) !== undefined &&
    isPort(service.port) &&
    isIP(service.target.address) !== 0 &&
    isPort(service.target.port)
      ? []
      : [`hostServices[${index}]: needs a host name, ports 1-65535 and an IP literal address`],
  );
  if (issues.length > 0) {
    throw new PaddockError(ErrorCode.ValidationFailed, issues.join('; '), { issues });
  }
}

async function listen(server: Server, socketPath: string): Promise<void> {
  try {
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
    await withShortSocketPath(socketPath, (path) =>
      listenOnce(server, path).catch(async (error: unknown) => {
        if (!(await isStaleSocket(path))) throw error;
        await rm(socketPath, { force: true });
        await listenOnce(server, path);
      }),
    );
  } catch (error) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `egress proxy cannot listen on ${socketPath}`,
      { socketPath },
      { cause: error },
    );
  }
}

function listenOnce(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Whether `socketPath` is a socket file that nothing listens on any more. */
async function isStaleSocket(socketPath: string): Promise<boolean> {
  const stat = await lstat(socketPath).catch(() => undefined);
  if (stat?.isSocket() !== true) return false;
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
