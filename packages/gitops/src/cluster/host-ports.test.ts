import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { chooseHostPorts, isPortFree } from './host-ports.ts';

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => resolve(server));
  });
}
const portOf = (server: Server) => {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
};
const close = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('choosing host ports', () => {
  const servers: Server[] = [];
  after(async () => {
    for (const s of servers) await close(s);
  });

  it('keeps the wanted ports when nothing listens on them', async () => {
    // Three ports known free a moment ago: let go, then asked for.
    const probes = [await listen(), await listen(), await listen()];
    const [api, http, https] = probes.map(portOf) as [number, number, number];
    for (const p of probes) await close(p);
    assert.deepEqual(await chooseHostPorts({ wanted: { api, http, https } }), { api, http, https });
  });

  it('moves past a port a real listener holds, and past ports another cluster recorded', async () => {
    const held = await listen();
    servers.push(held);
    const port = portOf(held);
    assert.equal(await isPortFree(port), false);
    const chosen = await chooseHostPorts({
      wanted: { api: port, http: port, https: port },
      taken: [port + 1],
    });
    assert.notEqual(chosen.api, port);
    assert.notEqual(chosen.api, port + 1);
    assert.equal(new Set([chosen.api, chosen.http, chosen.https]).size, 3, 'three different ports');
    for (const p of [chosen.api, chosen.http, chosen.https])
      assert.ok(await isPortFree(p), `${p} free`);
  });

  it('takes a port the OS picks when the whole span is taken', async () => {
    const held = await listen();
    servers.push(held);
    const port = portOf(held);
    const chosen = await chooseHostPorts({
      wanted: { api: port, http: port, https: port },
      span: 1,
    });
    assert.ok(![chosen.api, chosen.http, chosen.https].includes(port));
  });

  it('uses ports given explicitly as they are, and chooses the rest around them', async () => {
    const probes = [await listen(), await listen()];
    const [http, api] = probes.map(portOf) as [number, number];
    for (const p of probes) await close(p);
    const chosen = await chooseHostPorts({ wanted: { api, http, https: http }, fixed: { http } });
    assert.equal(chosen.http, http);
    assert.equal(chosen.api, api);
    assert.notEqual(chosen.https, http, 'the default is moved off a port given to another role');
  });

  it('refuses a given port that is taken, naming its flag and why; every problem at once', async () => {
    const held = await listen();
    servers.push(held);
    const port = portOf(held);
    await assert.rejects(
      chooseHostPorts({
        fixed: { api: port, http: 31_080, https: 31_080 },
        taken: [31_080],
        takenBy: new Map([[31_080, 'lab']]),
      }),
      (e) => {
        assert.ok(isPaddockError(e, ErrorCode.ValidationFailed));
        assert.deepEqual(e.details.issues, [
          {
            path: '--api-port',
            message: `port ${port} is taken: something listens on 127.0.0.1:${port}`,
          },
          { path: '--http-port', message: 'port 31080 is given to --https-port too' },
          { path: '--https-port', message: 'port 31080 is given to --http-port too' },
        ]);
        assert.match(e.message, /\(leave a flag out and a free port is chosen\)$/);
        return true;
      },
    );
    await assert.rejects(
      chooseHostPorts({
        fixed: { https: 31_443 },
        taken: [31_443],
        takenBy: new Map([[31_443, 'lab']]),
      }),
      /--https-port: port 31443 is taken: cluster lab recorded it/,
    );
    await assert.rejects(
      chooseHostPorts({ fixed: { api: 70_000 } }),
      /--api-port: must be a port number from 1 to 65535/,
    );
  });
});
