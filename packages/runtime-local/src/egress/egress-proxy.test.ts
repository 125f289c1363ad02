import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import type { EgressEvent } from './egress-dialer.ts';
import { type EgressProxy, startEgressProxy } from './egress-proxy.ts';
import {
  connectViaProxy,
  domain,
  echoes,
  readAll,
  readText,
  sendRaw,
  sendRawText,
  socks5,
  startUpstreams,
  type Upstreams,
  viaProxy,
} from './egress-test-clients.ts';
import { withShortSocketPath } from './socket-path.ts';

// The proxy refuses loopback destinations, so the local upstreams are reached the way a sandbox
// reaches a host service: through hostServices, which pin allowed.test:80/443 to 127.0.0.1.
const ALLOWED = 'allowed.test';
const BLOCKED = 'blocked.test';

describe('startEgressProxy', () => {
  let dir: string;
  let upstreams: Upstreams;
  let proxy: EgressProxy;
  const events: EgressEvent[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-egress-'));
    upstreams = await startUpstreams();
    proxy = await startEgressProxy({
      socketPath: join(dir, 'run', 'egress.sock'),
      allowedDomains: ['*.allowed.test', 'localhost'],
      hostServices: [
        { host: ALLOWED, port: 80, target: { address: '127.0.0.1', port: upstreams.httpPort } },
        { host: ALLOWED, port: 443, target: { address: '127.0.0.1', port: upstreams.echoPort } },
        { host: 'closed.allowed.test', port: 80, target: { address: '127.0.0.1', port: 1 } },
      ],
      log: (event) => events.push(event),
      limits: { maxHeaderBytes: 4096 },
    });
  });

  after(async () => {
    await proxy.close();
    await upstreams.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on a 0600 Unix socket', async () => {
    assert.equal((await stat(proxy.socketPath)).mode & 0o777, 0o600);
  });

  it('forwards an absolute-URI request, rewriting Host and dropping hop-by-hop headers', async () => {
    const res = await viaProxy(proxy.socketPath, `http://${ALLOWED}/hello?x=1`, {
      headers: {
        host: 'elsewhere.test',
        'proxy-authorization': 'Basic c2VjcmV0',
        connection: 'keep-alive, x-hop',
        'x-hop': '1',
        'x-kept': '2',
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'GET /hello?x=1 ');
    assert.equal(res.headers['x-upstream'], 'yes');
    const headers = upstreams.seen.at(-1);
    assert.equal(headers?.host, ALLOWED);
    assert.equal(headers?.['proxy-authorization'], undefined);
    assert.equal(headers?.['x-hop'], undefined);
    assert.equal(headers?.['x-kept'], '2');
    assert.deepEqual(events.at(-1), {
      protocol: 'http',
      host: ALLOWED,
      port: 80,
      outcome: 'allowed',
    });
  });

  it('answers a client that half-closes after its request', async () => {
    const raw = `GET http://${ALLOWED}/half HTTP/1.1\r\nHost: ${ALLOWED}\r\n\r\n`;
    assert.match(
      await sendRawText(proxy.socketPath, raw),
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*GET \/half $/,
    );
  });

  it('forwards request bodies, chunked or not', async () => {
    const res = await viaProxy(proxy.socketPath, `http://${ALLOWED}/upload`, {
      method: 'POST',
      body: 'payload',
      headers: { 'transfer-encoding': 'chunked' },
    });
    assert.equal(res.body, 'POST /upload payload');
    const sized = await viaProxy(proxy.socketPath, `http://${ALLOWED}/put`, {
      method: 'PUT',
      body: 'sized',
    });
    assert.equal(sized.body, 'PUT /put sized');
  });

  it('tunnels CONNECT bytes both ways, including a half-close', async () => {
    const { status, socket } = await connectViaProxy(proxy.socketPath, `${ALLOWED}:443`);
    assert.equal(status, 200);
    await echoes(socket, 'client hello');
    await echoes(socket, 'x'.repeat(256 * 1024));
    socket.end('last words');
    assert.equal(await readText(socket), 'last words');
  });

  it('opens SOCKS5 CONNECT to a domain name', async () => {
    const { reply, socket } = await socks5(proxy.socketPath, domain(ALLOWED), 443);
    assert.equal(reply, 0);
    await echoes(socket, 'over socks');
    socket.destroy();
  });

  it('refuses a domain not on the list without touching any upstream', async () => {
    const connectionsBefore = upstreams.connections();
    const res = await viaProxy(proxy.socketPath, `http://${BLOCKED}/`);
    assert.equal(res.status, 403);
    assert.equal(res.body, `paddock egress: ${BLOCKED} is not on this sandbox's allowlist\n`);
    const tunnel = await connectViaProxy(proxy.socketPath, `${BLOCKED}:443`);
    assert.equal(tunnel.status, 403);
    assert.match(await readText(tunnel.socket), /blocked\.test is not on this sandbox's allowlist/);
    const viaSocks = await socks5(proxy.socketPath, domain(BLOCKED), 443);
    assert.equal(viaSocks.reply, 2);
    viaSocks.socket.destroy();
    assert.equal(upstreams.connections(), connectionsBefore);
    assert.deepEqual(events.at(-1), {
      protocol: 'socks5',
      host: BLOCKED,
      port: 443,
      outcome: 'not_allowed',
      message: `paddock egress: ${BLOCKED} is not on this sandbox's allowlist`,
    });
  });

  it('refuses IP literals that are not listed themselves', async () => {
    const connectionsBefore = upstreams.connections();
    const res = await viaProxy(proxy.socketPath, `http://127.0.0.1:${upstreams.httpPort}/`);
    assert.equal(res.status, 403);
    assert.equal(res.body, "paddock egress: 127.0.0.1 is not on this sandbox's allowlist\n");
    const tunnel = await connectViaProxy(proxy.socketPath, `[::1]:${upstreams.echoPort}`);
    assert.equal(tunnel.status, 403);
    tunnel.socket.destroy();
    const ipv4 = Buffer.from([1, 127, 0, 0, 1]);
    const viaSocks = await socks5(proxy.socketPath, ipv4, upstreams.echoPort);
    assert.equal(viaSocks.reply, 2);
    viaSocks.socket.destroy();
    assert.equal(upstreams.connections(), connectionsBefore);
  });

  it('refuses a listed name that resolves to loopback', async () => {
    const connectionsBefore = upstreams.connections();
    const res = await viaProxy(proxy.socketPath, `http://localhost:${upstreams.httpPort}/`);
    assert.equal(res.status, 403);
    assert.equal(
      res.body,
      'paddock egress: localhost resolves to a loopback address, which sandboxes may not reach\n',
    );
    const viaSocks = await socks5(proxy.socketPath, domain('localhost'), upstreams.echoPort);
    assert.equal(viaSocks.reply, 2);
    viaSocks.socket.destroy();
    // A host service opens its exact port only.
    const otherPort = await viaProxy(proxy.socketPath, `http://${ALLOWED}:8080/`);
    assert.equal(otherPort.status, 403);
    assert.equal(upstreams.connections(), connectionsBefore);
  });

  it('answers 502 / SOCKS 0x05 when the upstream refuses the connection', async () => {
    const res = await viaProxy(proxy.socketPath, 'http://closed.allowed.test/');
    assert.equal(res.status, 502);
    assert.equal(res.body, 'paddock egress: upstream refused the connection\n');
    const viaSocks = await socks5(proxy.socketPath, domain('closed.allowed.test'), 80);
    assert.equal(viaSocks.reply, 5);
    viaSocks.socket.destroy();
  });

  it('answers malformed HTTP with 400 or 431 and keeps serving', async () => {
    const socket = proxy.socketPath;
    assert.match(await sendRawText(socket, 'HELLO\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(
      await sendRawText(socket, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      /^HTTP\/1\.1 400 [\s\S]*send an absolute URI/,
    );
    assert.match(
      await sendRawText(
        socket,
        'GET https://a.allowed.test/ HTTP/1.1\r\nConnection: close\r\n\r\n',
      ),
      /^HTTP\/1\.1 400 [\s\S]*use CONNECT/,
    );
    assert.match(
      await sendRawText(socket, 'CONNECT allowed.test HTTP/1.1\r\n\r\n'),
      /^HTTP\/1\.1 400 [\s\S]*CONNECT needs host:port/,
    );
    assert.match(
      await sendRawText(socket, 'CONNECT 2130706433:443 HTTP/1.1\r\n\r\n'),
      /^HTTP\/1\.1 400 /,
    );
    assert.match(
      await sendRawText(
        socket,
        'GET http://a.allowed.test:0/ HTTP/1.1\r\nConnection: close\r\n\r\n',
      ),
      /^HTTP\/1\.1 400 [\s\S]*malformed port/,
    );
    assert.match(
      await sendRawText(socket, 'CONNECT a.allowed.test:0 HTTP/1.1\r\n\r\n'),
      /^HTTP\/1\.1 400 /,
    );
    const huge = `GET http://${ALLOWED}/ HTTP/1.1\r\nX-Big: ${'a'.repeat(8192)}\r\n\r\n`;
    assert.match(await sendRawText(socket, huge), /^HTTP\/1\.1 431 /);
    const res = await viaProxy(socket, `http://${ALLOWED}/still-up`);
    assert.equal(res.status, 200);
  });

  it('answers malformed SOCKS5 with its reply codes or a close, and keeps serving', async () => {
    const socket = proxy.socketPath;
    assert.deepEqual([...(await sendRaw(socket, Buffer.from([5, 0])))], []);
    assert.deepEqual([...(await sendRaw(socket, Buffer.from([5, 1, 0, 4, 1, 0, 0])))], [5, 0]);
    const unknownType = await socks5(socket, Buffer.from([9, 1, 2, 3, 4]), 80);
    assert.equal(unknownType.reply, 8);
    unknownType.socket.destroy();
    const portZero = await socks5(socket, domain(ALLOWED), 0);
    assert.equal(portZero.reply, 4);
    portZero.socket.destroy();
    const badName = await socks5(socket, domain('bad..name'), 80);
    assert.equal(badName.reply, 2);
    badName.socket.destroy();
    const bind = Buffer.from([5, 1, 0, 5, 2, 0, 3, 1, 97, 0, 80]);
    assert.deepEqual([...(await sendRaw(socket, bind))].slice(0, 4), [5, 0, 5, 7]);
    const { reply, socket: tunnel } = await socks5(socket, domain(ALLOWED), 443);
    assert.equal(reply, 0);
    tunnel.destroy();
  });

  it('serves several requests on one keep-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await viaProxy(proxy.socketPath, `http://${ALLOWED}/one`, { agent });
      const refused = await viaProxy(proxy.socketPath, `http://${BLOCKED}/`, { agent });
      const second = await viaProxy(proxy.socketPath, `http://${ALLOWED}/two`, { agent });
      assert.deepEqual([first.status, refused.status, second.status], [200, 403, 200]);
      assert.equal(second.body, 'GET /two ');
    } finally {
      agent.destroy();
    }
  });

  it('refuses SOCKS5 clients that insist on authentication', async () => {
    assert.deepEqual([...(await sendRaw(proxy.socketPath, Buffer.from([5, 1, 2])))], [5, 0xff]);
  });
});

describe('startEgressProxy: listing and lifecycle', () => {
  let dir: string;
  let upstreams: Upstreams;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-egress-'));
    upstreams = await startUpstreams();
  });

  after(async () => {
    await upstreams.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens an IP literal that is listed explicitly', async () => {
    const proxy = await startEgressProxy({
      socketPath: join(dir, 'literal.sock'),
      allowedDomains: ['127.0.0.1'],
    });
    try {
      const { status, socket } = await connectViaProxy(
        proxy.socketPath,
        `127.0.0.1:${upstreams.echoPort}`,
      );
      assert.equal(status, 200);
      await echoes(socket, 'explicit');
      socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('destroys open tunnels and removes its socket on close', async () => {
    const proxy = await startEgressProxy({
      socketPath: join(dir, 'close.sock'),
      allowedDomains: [],
      hostServices: [
        { host: ALLOWED, port: 443, target: { address: '127.0.0.1', port: upstreams.echoPort } },
      ],
    });
    try {
      const { socket } = await connectViaProxy(proxy.socketPath, `${ALLOWED}:443`);
      await echoes(socket, 'before close');
      const idle = connect(proxy.socketPath);
      await new Promise((resolve) => idle.once('connect', resolve));
      const closed = Promise.all([readAll(socket), readAll(idle)]);
      await proxy.close();
      await closed;
      await assert.rejects(stat(proxy.socketPath), { code: 'ENOENT' });
    } finally {
      await proxy.close();
    }
  });

  it('closes a client that sends nothing within the handshake timeout', async () => {
    const proxy = await startEgressProxy({
      socketPath: join(dir, 'slow.sock'),
      allowedDomains: [],
      limits: { handshakeTimeoutMs: 50 },
    });
    try {
      const silent = connect(proxy.socketPath);
      assert.equal(await readText(silent), '');
      const halfHead = connect(proxy.socketPath);
      halfHead.write('GET http://a.test/ HTTP/1.1\r\n');
      assert.equal(await readText(halfHead), '');
      const halfGreeting = connect(proxy.socketPath);
      halfGreeting.write(Buffer.from([5, 2, 0]));
      assert.equal(await readText(halfGreeting), '');
    } finally {
      await proxy.close();
    }
  });

  it('replaces a stale socket file but not a live proxy', async () => {
    const socketPath = join(dir, 'stale.sock');
    // A proxy that crashed: killed while listening, so its socket file stays behind.
    const crashed = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await once(crashed, 'exit');
    assert.equal((await stat(socketPath)).isSocket(), true);
    const proxy = await startEgressProxy({ socketPath, allowedDomains: [] });
    try {
      await assert.rejects(startEgressProxy({ socketPath, allowedDomains: [] }), (error) =>
        isPaddockError(error, ErrorCode.RuntimeUnavailable),
      );
    } finally {
      await proxy.close();
    }
  });

  it('rejects malformed host services', async () => {
    await assert.rejects(
      startEgressProxy({
        socketPath: join(dir, 'bad.sock'),
        allowedDomains: [],
        hostServices: [{ host: 'gateway', port: 80, target: { address: 'localhost', port: 8 } }],
      }),
      (error) => isPaddockError(error, ErrorCode.ValidationFailed),
    );
  });
});

describe('startEgressProxy in a deep data directory', () => {
  it('listens and serves when the socket path is longer than a Unix socket address holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paddock-egress-deep-'));
    const deep = join(dir, 'a'.repeat(60), 'sandboxes', 'default', 'b'.repeat(40), 'egress');
    const socketPath = join(deep, 'egress.sock');
    assert.ok(Buffer.byteLength(socketPath) > 108, 'longer than sun_path');
    const upstreams = await startUpstreams();
    try {
      const proxy = await startEgressProxy({
        socketPath,
        allowedDomains: [ALLOWED],
        hostServices: [
          { host: ALLOWED, port: 80, target: { address: '127.0.0.1', port: upstreams.httpPort } },
        ],
      });
      try {
        assert.ok((await stat(socketPath)).isSocket(), 'the socket is where it was asked');
        const res = await withShortSocketPath(socketPath, (path) =>
          viaProxy(path, `http://${ALLOWED}/hello`),
        );
        assert.equal(res.status, 200);
      } finally {
        await proxy.close();
      }
    } finally {
      await upstreams.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
