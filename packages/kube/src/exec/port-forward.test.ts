import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { ChannelProtocol } from './channel-protocol.ts';
import { type Fixture, POD, readBytes, startFixture } from './exec-test-support.ts';
import { forwardPort } from './port-forward.ts';

describe('forwardPort against the stand-in API server', () => {
  let fixture: Fixture;
  let web: Server;
  let port: number;
  const body = randomBytes(3 * 1024 * 1024);
  before(async () => {
    fixture = await startFixture();
    web = createServer((request, response) => {
      if (request.url === '/big') {
        response.end(body);
        return;
      }
      response.end(`hello from ${request.method} ${request.url}`);
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    port = (web.address() as AddressInfo).port;
  });
  after(async () => {
    web?.closeAllConnections();
    await new Promise((resolve) => web?.close(resolve));
    await fixture?.close();
  });

  async function get(path: string): Promise<Buffer> {
    const duplex = await forwardPort(fixture.client, {
      namespace: POD.namespace,
      pod: POD.pod,
      port,
    });
    const writer = duplex.writable.getWriter();
    await writer.write(
      Buffer.from(`GET ${path} HTTP/1.1\r\nHost: box\r\nConnection: close\r\n\r\n`),
    );
    return readBytes(duplex.readable);
  }

  it('carries an HTTP exchange to a server in the pod, the port prefix taken out', async () => {
    const response = (await get('/hi')).toString('utf8');
    assert.match(response, /^HTTP\/1\.1 200 OK\r\n/, 'the port number is not part of the data');
    assert.match(response, /hello from GET \/hi$/);
    assert.equal(fixture.standIn.sessions.at(-1), `portforward ${ChannelProtocol.V4}`);
  });

  it('carries megabytes intact', async () => {
    const response = await get('/big');
    const start = response.indexOf('\r\n\r\n') + 4;
    const received = response.subarray(start);
    assert.equal(received.byteLength, body.byteLength);
    assert.equal(
      createHash('sha256').update(received).digest('hex'),
      createHash('sha256').update(body).digest('hex'),
    );
  });

  it('errors not_found when nothing listens on the port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const duplex = await forwardPort(fixture.client, {
      namespace: POD.namespace,
      pod: POD.pod,
      port: closed,
    });
    await assert.rejects(
      readBytes(duplex.readable),
      (error) => isPaddockError(error, 'not_found') && error.message.includes(String(closed)),
    );
  });

  it('close ends the connection', async () => {
    const duplex = await forwardPort(fixture.client, {
      namespace: POD.namespace,
      pod: POD.pod,
      port,
    });
    await duplex.close();
    assert.equal((await readBytes(duplex.readable)).byteLength, 0);
  });

  it('refuses a port that is no TCP port, and a pod that does not exist', async () => {
    await assert.rejects(forwardPort(fixture.client, { ...POD, port: 70000 }), (error) =>
      isPaddockError(error, 'validation_failed'),
    );
    await assert.rejects(forwardPort(fixture.client, { ...POD, pod: 'gone', port }), (error) =>
      isPaddockError(error, 'not_found'),
    );
  });
});
