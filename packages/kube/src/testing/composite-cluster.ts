// Test support: one kubeconfig in front of two API servers, so that the development tree has a
// cluster that serves both Paddock's CRDs and pods. A loopback router (plain http, port 0) sends
// the core API (`/api/...`: pods and their exec, port-forward and log, configmaps, secrets,
// claims, services, service accounts) and `networking.k8s.io` (and `cilium.io`, which it does not
// serve) to the combined stand-in of pods (`stand-in-cluster.ts`: each pod a bubblewrap mount
// namespace of this machine), and every other group (`/apis/paddock.dev`, the test CRDs of Lease
// and Event, discovery) to the real API server it is given (the test API server of CRDs alone).
// Requests and WebSocket upgrades (exec, port-forward) are relayed as they are, each backend's
// own credentials put in place of the router's token. What it cannot show: garbage collection
// (nothing deletes a Sandbox's objects when it goes but the runtime), admission, scheduling.
import { randomBytes } from 'node:crypto';
import {
  createServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { KubeClient } from '../client/kube-client.ts';
import {
  type StandInCluster,
  type StandInClusterOptions,
  startStandInCluster,
} from '../runtime/stand-in-cluster.ts';
import { writeLoopbackKubeconfig } from './loopback-kubeconfig.ts';

/** Where the router sent a request: the stand-in of pods or the real API server. */
export const CompositeBackend = { Pods: 'pods', ApiServer: 'api-server' } as const;
export type CompositeBackend = (typeof CompositeBackend)[keyof typeof CompositeBackend];

export type CompositeCluster = {
  /** A kubeconfig (plain http on loopback, a bearer token) for the router. */
  kubeconfig: string;
  /** The stand-in behind `/api/...`: its objects and pods. */
  pods: StandInCluster;
  /** `backend METHOD path?query` of every request and upgrade routed, in order. */
  routed: string[];
  close(): Promise<void>;
};

type Backend = {
  url: URL;
  headers: Record<string, string>;
  agent: HttpAgent | HttpsAgent;
  tls: Record<string, unknown>;
};

/** The backend of a request path: core and network policies to the pods, the rest to the server. */
export function compositeBackendOf(path: string): CompositeBackend {
  if (path === '/api' || path.startsWith('/api/') || path.startsWith('/api?'))
    return CompositeBackend.Pods;
  if (/^\/apis\/(networking\.k8s\.io|cilium\.io)(\/|$|\?)/.test(path)) return CompositeBackend.Pods;
  return CompositeBackend.ApiServer;
}

/**
 * Starts the stand-in of pods and a router in front of it and the API server of
 * `apiServerKubeconfig` (whose CRDs the caller installs). Close it in `after`.
 */
export async function startCompositeCluster(
  apiServerKubeconfig: string,
  options: StandInClusterOptions = {},
): Promise<CompositeCluster> {
  const pods = await startStandInCluster(options);
  const backends = {
    [CompositeBackend.Pods]: await backendOf(pods.kubeconfig),
    [CompositeBackend.ApiServer]: await backendOf(apiServerKubeconfig),
  };
  const token = randomBytes(16).toString('hex');
  const routed: string[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = createServer((request, response) => {
    if (!isAuthorized(request, token)) return unauthorized(response);
    const name = compositeBackendOf(request.url ?? '/');
    routed.push(`${name} ${request.method} ${request.url}`);
    relay(backends[name], request, response);
  });
  server.on('connection', track);
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!isAuthorized(request, token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const name = compositeBackendOf(request.url ?? '/');
    routed.push(`${name} ${request.method} ${request.url} (upgrade)`);
    relayUpgrade(backends[name], request, socket, head, track);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const { kubeconfig, remove } = writeLoopbackKubeconfig(port, token, 'composite');
  return {
    kubeconfig,
    pods,
    routed,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      for (const backend of Object.values(backends)) backend.agent.destroy();
      await pods.close();
      remove();
    },
  };
}

/** Where and how to reach the API server of a kubeconfig, with its credentials. */
async function backendOf(kubeconfig: string): Promise<Backend> {
  const client = await KubeClient.fromKubeconfig(kubeconfig, { userAgent: 'paddock-composite' });
  try {
    const upgrade = await client.upgradeOptions('/', new URLSearchParams());
    const url = new URL(client.server);
    const tls = { ...upgrade.tls } as Record<string, unknown>;
    const isHttps = url.protocol === 'https:';
    const agent = isHttps
      ? new HttpsAgent({ ...tls, keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    const { 'User-Agent': _agent, ...headers } = upgrade.headers;
    return { url, headers, agent, tls };
  } finally {
    client.close();
  }
}

function isAuthorized(request: IncomingMessage, token: string): boolean {
  return request.headers.authorization === `Bearer ${token}`;
}

function unauthorized(response: ServerResponse): void {
  response.writeHead(401, { 'Content-Type': 'application/json' });
  response.end(
    JSON.stringify({ kind: 'Status', status: 'Failure', code: 401, reason: 'Unauthorized' }),
  );
}

/** The request's headers for `backend`: its host and credentials in place of the router's. */
function headersFor(backend: Backend, request: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined && key !== 'authorization' && key !== 'host') headers[key] = value;
  }
  return { ...headers, ...backend.headers, host: backend.url.host };
}

/** One request, relayed as it streams (watches and followed logs included). */
function relay(backend: Backend, request: IncomingMessage, response: ServerResponse): void {
  const send = backend.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send({
    hostname: backend.url.hostname,
    port: backend.url.port,
    method: request.method,
    path: request.url,
    headers: headersFor(backend, request),
    agent: backend.agent,
  });
  upstream.on('response', (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    // A followed log or a watch may send nothing for long: the headers go on at once.
    response.flushHeaders();
    answer.pipe(response);
  });
  upstream.on('error', (error) => {
    if (response.headersSent) return void response.destroy();
    response.writeHead(502, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ kind: 'Status', code: 502, message: error.message }));
  });
  // A client that goes (a watch aborted) ends the upstream request too.
  response.once('close', () => {
    if (!response.writableFinished) upstream.destroy();
  });
  request.pipe(upstream);
}

/** A WebSocket upgrade, relayed byte for byte once its request head is rewritten. */
function relayUpgrade(
  backend: Backend,
  request: IncomingMessage,
  socket: Socket,
  head: Buffer,
  track: (socket: Socket) => void,
): void {
  const port = Number(backend.url.port || (backend.url.protocol === 'https:' ? 443 : 80));
  const upstream =
    backend.url.protocol === 'https:'
      ? tlsConnect({
          ...backend.tls,
          host: backend.url.hostname,
          port,
          ALPNProtocols: ['http/1.1'],
        })
      : netConnect(port, backend.url.hostname);
  track(upstream);
  const lines = [`${request.method} ${request.url} HTTP/1.1`];
  for (const [key, value] of Object.entries(headersFor(backend, request))) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${key}: ${one}`);
  }
  upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) upstream.write(head);
  upstream.pipe(socket);
  socket.pipe(upstream);
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  upstream.once('close', () => socket.destroy());
  socket.once('close', () => upstream.destroy());
}
