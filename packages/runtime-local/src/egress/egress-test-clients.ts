// Real clients and upstreams for the egress proxy tests: Node's HTTP client over the proxy's
// Unix socket, a byte-level SOCKS5 client (RFC 1928), an HTTP upstream and a TCP echo upstream.
import assert from 'node:assert/strict';
import {
  type Agent,
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  request,
} from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';

export type Upstreams = {
  httpPort: number;
  echoPort: number;
  /** Connections each upstream has accepted, to prove refusals never reach them. */
  connections: () => number;
  seen: IncomingHttpHeaders[];
  close: () => Promise<void>;
};

export async function startUpstreams(): Promise<Upstreams> {
  let connections = 0;
  const seen: IncomingHttpHeaders[] = [];
  const http = createHttpServer((req, res) => {
    seen.push(req.headers);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.setHeader('x-upstream', 'yes');
      res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
    });
  });
  const echo = createTcpServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  for (const server of [http, echo]) {
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }
  return {
    httpPort: (http.address() as AddressInfo).port,
    echoPort: (echo.address() as AddressInfo).port,
    connections: () => connections,
    seen,
    close: async () => {
      http.closeAllConnections();
      await Promise.all([http, echo].map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}

export type Response = { status: number; headers: IncomingHttpHeaders; body: string };

export function viaProxy(
  socketPath: string,
  target: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: target,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export function connectViaProxy(
  socketPath: string,
  authority: string,
): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'CONNECT', path: authority, agent: false });
    req.on('connect', (res, socket: Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      resolve({ status: res.statusCode ?? 0, socket });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Read exactly `count` bytes, leaving the rest in the socket. */
export function readBytes(socket: Socket, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < count) return;
      socket.off('data', onData).off('end', onEnd).pause();
      if (buffered.length > count) socket.unshift(buffered.subarray(count));
      resolve(buffered.subarray(0, count));
    };
    const onEnd = () => reject(new Error(`socket ended after ${buffered.length} bytes`));
    socket.on('data', onData).on('end', onEnd).resume();
  });
}

/** Everything the socket receives until it closes. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.resume();
  });
}

export async function readText(socket: Socket): Promise<string> {
  return (await readAll(socket)).toString();
}

export async function echoes(socket: Socket, text: string): Promise<void> {
  socket.write(text);
  assert.equal((await readBytes(socket, Buffer.byteLength(text))).toString(), text);
}

/** SOCKS5 handshake with `address` (ATYP + address bytes); returns the reply code. */
export async function socks5(
  socketPath: string,
  address: Buffer,
  port: number,
): Promise<{ reply: number; socket: Socket }> {
  const socket = connect(socketPath);
  socket.write(Buffer.from([5, 2, 0, 2]));
  assert.deepEqual([...(await readBytes(socket, 2))], [5, 0]);
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, portBytes]));
  const reply = await readBytes(socket, 10);
  return { reply: reply[1] ?? -1, socket };
}

export function domain(name: string): Buffer {
  return Buffer.concat([Buffer.from([3, name.length]), Buffer.from(name, 'latin1')]);
}

/** Send `raw`, half-close, and return all the proxy answers. */
export function sendRaw(socketPath: string, raw: string | Buffer): Promise<Buffer> {
  const socket = connect(socketPath);
  socket.end(raw);
  return readAll(socket);
}

export async function sendRawText(socketPath: string, raw: string): Promise<string> {
  return (await sendRaw(socketPath, raw)).toString();
}
