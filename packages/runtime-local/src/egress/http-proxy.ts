import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
  request as upstreamRequest,
} from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { canonicalHost } from './allowlist.ts';
import {
  type Dialer,
  DialFailure,
  type EgressEvent,
  EgressProtocol,
  isPort,
} from './egress-dialer.ts';
import { joinSockets } from './tunnel.ts';

export type HttpProxyOptions = {
  dial: Dialer;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  maxHeaderBytes: number;
  log: (event: EgressEvent) => void;
};

/** Headers that describe one hop, never forwarded (RFC 9110 §7.6.1), plus the proxy's own. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  // Node answered `Expect: 100-continue` already.
  'expect',
  // Rewritten from the request target, so the Host the upstream sees is the host allowed.
  'host',
]);

type Target = { host: string; port: number; authority: string; path: string };

/**
 * An HTTP proxy server that never listens itself: the egress proxy hands it connections with
 * `emit('connection', socket)`. It forwards absolute-URI `http://` requests and opens CONNECT
 * tunnels, both through the dialer; anything else is answered 400 (431 for oversized headers).
 */
export function createHttpProxy(options: HttpProxyOptions): Server {
  const server = createServer({
    maxHeaderSize: options.maxHeaderBytes,
    requestTimeout: 0,
    // The target is in the request line; a missing Host header is no reason to refuse.
    requireHostHeader: false,
  });
  // Node checks headersTimeout only for servers that listen, so the first head gets a timer here.
  const headTimers = new WeakMap<Duplex, NodeJS.Timeout>();
  const clearHeadTimer = (socket: Duplex) => clearTimeout(headTimers.get(socket));
  server.timeout = options.idleTimeoutMs;
  // Undocumented but long-standing (Node's own field): a client that sends its request and then
  // half-closes (socat, `nc -N`) still gets the response instead of an aborted request.
  Reflect.set(server, 'httpAllowHalfOpen', true);
  server.on('connection', (socket: Duplex) => {
    const timer = setTimeout(() => socket.destroy(), options.handshakeTimeoutMs);
    headTimers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    clearHeadTimer(req.socket);
    forward(req, res, options).catch(() => res.destroy());
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    clearHeadTimer(socket);
    tunnel(req, socket, head, options).catch(() => socket.destroy());
  });
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    clearHeadTimer(socket);
    refuseRaw(socket, 400, 'paddock egress: upgrades are not proxied; use CONNECT', options);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const message = `paddock egress: malformed request (${error.code ?? 'unknown error'})`;
    options.log({ protocol: EgressProtocol.Http, outcome: 'malformed', message });
    refuseRaw(socket, status, message, options);
  });
  return server;
}

async function forward(req: IncomingMessage, res: ServerResponse, options: HttpProxyOptions) {
  const target = parseAbsoluteUri(req.url ?? '');
  if (typeof target === 'string') return malformed(res, target, options);
  const result = await options.dial(EgressProtocol.Http, target.host, target.port);
  if (!result.isOpen) return respond(res, httpStatus(result.failure), result.message);
  const upstream = result.socket;
  if (res.destroyed) return upstream.destroy();
  upstream.setTimeout(options.idleTimeoutMs, () => upstream.destroy());
  const outgoing = upstreamRequest({
    createConnection: () => upstream,
    method: req.method ?? 'GET',
    path: target.path,
    headers: ['host', target.authority, ...withoutHopByHop(req.rawHeaders)],
    setHost: false,
  });
  outgoing.on('response', (incoming) => {
    try {
      res.writeHead(
        incoming.statusCode ?? 502,
        incoming.statusMessage,
        withoutHopByHop(incoming.rawHeaders),
      );
    } catch {
      // Node refuses to write some heads it parsed (a status outside 100-999, say).
      incoming.destroy();
      return respond(res, 502, 'paddock egress: upstream sent a response that cannot be relayed');
    }
    incoming.pipe(res);
  });
  outgoing.on('error', () => {
    if (res.headersSent) res.destroy();
    else respond(res, 502, 'paddock egress: upstream closed the connection');
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(outgoing);
}

async function tunnel(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  options: HttpProxyOptions,
) {
  const target = parseAuthority(req.url ?? '');
  if (target === undefined) {
    options.log({ protocol: EgressProtocol.Connect, outcome: 'malformed', message: 'bad target' });
    return refuseRaw(client, 400, 'paddock egress: CONNECT needs host:port', options);
  }
  const result = await options.dial(EgressProtocol.Connect, target.host, target.port);
  if (!result.isOpen) return refuseRaw(client, httpStatus(result.failure), result.message, options);
  // The egress proxy only hands the server net.Sockets; Node declares a Duplex.
  if (client.destroyed || !(client instanceof Socket)) return result.socket.destroy();
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) result.socket.write(head);
  joinSockets(client, result.socket, options.idleTimeoutMs);
}

/** Parse `http://host[:port]/path?query`; a string return is the 400 message. */
function parseAbsoluteUri(raw: string): Target | string {
  if (raw.startsWith('/')) return 'paddock egress: this is a proxy; send an absolute URI';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'paddock egress: malformed request target';
  }
  if (url.protocol !== 'http:') return 'paddock egress: only http:// is proxied; use CONNECT';
  const host = canonicalHost(url.hostname);
  if (host === undefined) return 'paddock egress: malformed host';
  const port = url.port === '' ? 80 : Number(url.port);
  if (!isPort(port)) return 'paddock egress: malformed port';
  return { host, port, authority: url.host, path: `${url.pathname}${url.search}` };
}

/** Parse a CONNECT target: `host:port` or `[v6]:port`. */
function parseAuthority(raw: string): Pick<Target, 'host' | 'port'> | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):([0-9]{1,5})$/.exec(raw);
  const host = canonicalHost(match?.[1] ?? '');
  const port = Number(match?.[2]);
  if (host === undefined || !isPort(port)) return undefined;
  return { host, port };
}

/** Raw headers (`[name, value, …]`) without hop-by-hop ones and those `Connection` names. */
function withoutHopByHop(raw: readonly string[]): string[] {
  const names = new Set(HOP_BY_HOP);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1]?.split(',') ?? []) names.add(token.trim().toLowerCase());
  }
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const [name = '', value = ''] = [raw[i], raw[i + 1]];
    if (!names.has(name.toLowerCase())) kept.push(name, value);
  }
  return kept;
}

function httpStatus(failure: DialFailure): number {
  switch (failure) {
    case DialFailure.NotAllowed:
    case DialFailure.DeniedAddress:
      return 403;
    case DialFailure.TimedOut:
      return 504;
    case DialFailure.Unresolvable:
    case DialFailure.Refused:
    case DialFailure.Unreachable:
      return 502;
  }
}

function malformed(res: ServerResponse, message: string, options: HttpProxyOptions) {
  options.log({ protocol: EgressProtocol.Http, outcome: 'malformed', message });
  respond(res, 400, message);
}

function respond(res: ServerResponse, status: number, message: string) {
  if (res.destroyed) return;
  const body = `${message}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Answer on a socket the HTTP server no longer owns (CONNECT, upgrade, parse errors). */
function refuseRaw(socket: Duplex, status: number, message: string, options: HttpProxyOptions) {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never closes its side is not kept past the handshake timeout.
  setTimeout(() => socket.destroy(), options.handshakeTimeoutMs).unref();
}
