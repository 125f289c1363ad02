// Test support (exported for the pod runtime's tests): a stand-in Kubernetes API server on the
// loopback interface (plain http, port 0) that serves pods/exec and pods/portforward over
// WebSocket with Kubernetes' subprotocols, running commands on this machine and forwarding to
// local ports; and a kubeconfig for it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { writeLoopbackKubeconfig } from '../testing/loopback-kubeconfig.ts';
import { ChannelProtocol, ExecChannel, encodeData } from './channel-protocol.ts';
import { type ExecProcess, type GoneClient, serveExec } from './stand-in-exec.ts';
import { servePortForward } from './stand-in-port-forward.ts';
import { errorAnswerJson, internalErrorJson } from './stand-in-status.ts';

export type StandInPod = {
  namespace: string;
  name: string;
  containers: string[];
  /**
   * How a command runs "in" the pod (default: as given, with this process's environment), e.g.
   * under bubblewrap with the pod's directories bound at its paths and the container's env.
   */
  run?: (command: string[]) => { command: string[]; env?: NodeJS.ProcessEnv };
};

export type PodStandInOptions = {
  /** The pods it serves, or a lookup asked at each request (pods that come and go). */
  pods: StandInPod[] | ((namespace: string, name: string) => StandInPod | undefined);
  /** Answers every request that is no upgrade (default 400), e.g. an object store. */
  fallback?: (request: IncomingMessage, response: ServerResponse) => void;
  /** The subprotocols it accepts for exec, best first (default v5 then v4; kubelets before 1.30: v4). */
  execProtocols?: ChannelProtocol[];
  /** What a client going away does to its command's pipes (default `close-pipes`; see `GoneClient`). */
  goneClient?: GoneClient;
};

export type PodStandIn = {
  kubeconfig: string;
  /** The subprotocol of every session, in order (`exec v5.channel.k8s.io`, `portforward …`). */
  sessions: string[];
  /** The path and query of every upgrade request, in order. */
  requests: string[];
  /** Every message clients sent, as sent, in order. */
  frames: Buffer[];
  /** Processes started by exec and still running. */
  running(): number[];
  close(): Promise<void>;
};

const TOKEN = 'pod-stand-in-token';
const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|portforward)$/;

export async function startPodStandIn(options: PodStandInOptions): Promise<PodStandIn> {
  const execProtocols = options.execProtocols ?? [ChannelProtocol.V5, ChannelProtocol.V4];
  const processes = new Map<number, ExecProcess>();
  const sessions: string[] = [];
  const requests: string[] = [];
  const frames: Buffer[] = [];
  // A real server picks among the offered subprotocols itself; ws would otherwise pick the first.
  const chosen = new WeakMap<IncomingMessage, ChannelProtocol>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, request) => chosen.get(request) ?? false,
  });
  const server = createServer((request, response) => {
    if (options.fallback !== undefined) return options.fallback(request, response);
    response.writeHead(400, { 'Content-Type': 'application/json' });
    response.end(errorAnswerJson(400, 'BadRequest', 'Upgrade request required'));
  });
  wss.on('connection', (ws) => {
    ws.on('message', (message: Buffer) => frames.push(Buffer.from(message)));
  });
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    requests.push(request.url ?? '');
    const refuse = (code: number, reason: string, message: string) => {
      const body = errorAnswerJson(code, reason, message);
      socket.end(
        `HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      return refuse(401, 'Unauthorized', 'Unauthorized');
    }
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const match = PATH.exec(url.pathname);
    if (!match) return refuse(404, 'NotFound', 'the server could not find the requested resource');
    const [, namespace = '', name = '', subresource] = match.map((part) =>
      decodeURIComponent(part),
    );
    const pods = options.pods;
    const pod =
      typeof pods === 'function'
        ? pods(namespace, name)
        : pods.find((p) => p.namespace === namespace && p.name === name);
    if (!pod) return refuse(404, 'NotFound', `pods "${name}" not found`);
    const offered = (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    const accepted = subresource === 'exec' ? execProtocols : [ChannelProtocol.V4];
    const protocol = accepted.find((p) => offered.includes(p));
    if (!protocol) return refuse(400, 'BadRequest', 'no supported subprotocol');
    chosen.set(request, protocol);
    if (subresource === 'exec') {
      const container = url.searchParams.get('container') ?? '';
      if (!pod.containers.includes(container)) {
        return refuse(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
      }
      const flag = (key: string) => url.searchParams.get(key) === 'true';
      const command = url.searchParams.getAll('command');
      const inPod = command.length === 0 ? undefined : pod.run?.(command);
      const params = {
        command: inPod?.command ?? command,
        ...(inPod?.env === undefined ? {} : { env: inPod.env }),
        stdin: flag('stdin'),
        stdout: flag('stdout'),
        stderr: flag('stderr'),
        tty: flag('tty'),
        ...(options.goneClient === undefined ? {} : { goneClient: options.goneClient }),
      };
      if (command.length === 0)
        return refuse(400, 'BadRequest', 'you must specify at least 1 command');
      wss.handleUpgrade(request, socket, head, (ws) => {
        wss.emit('connection', ws, request);
        sessions.push(`exec ${protocol}`);
        serveExec(ws, protocol, params, (started) => {
          processes.set(started.pid, started);
        }).catch((error: Error) => {
          // What the API server does when the runtime fails: a Failure Status, then a close.
          ws.send(
            encodeData(ExecChannel.Error, Buffer.from(internalErrorJson(error.message))),
            () => ws.close(1000),
          );
        });
      });
      return;
    }
    const ports = url.searchParams
      .getAll('ports')
      .flatMap((value) => value.split(','))
      .map(Number);
    if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
      return refuse(400, 'BadRequest', 'invalid ports');
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit('connection', ws, request);
      sessions.push(`portforward ${protocol}`);
      servePortForward(ws, protocol, `${name}_${namespace}`, ports);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const { kubeconfig, remove } = writeLoopbackKubeconfig(port, TOKEN, 'pod-stand-in');
  return {
    kubeconfig,
    sessions,
    requests,
    frames,
    running: () => [...processes.keys()].filter(isAlive),
    close: async () => {
      for (const started of processes.values()) started.kill();
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      remove();
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
