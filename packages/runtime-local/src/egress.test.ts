import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { SandboxRef } from '@paddock/core';
import type { EgressEvent } from './egress/index.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

describe('egress: allowlist', { skip: skipReason }, () => {
  let world: TestWorld;
  let server: Server;
  let ref: SandboxRef;
  const events: EgressEvent[] = [];
  before(async () => {
    server = createServer((_req, res) => res.end('from-the-gateway\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    world = createTestWorld({
      egress: {
        hostServices: [
          { host: 'gateway.paddock.internal', port: 80, target: { address: '127.0.0.1', port } },
        ],
        log: (_sandbox, event) => events.push(event),
      },
    });
    ref = await world.provision({
      network: { egress: 'allowlist', allowedDomains: ['example.com'] },
    });
  });
  after(async () => {
    await world?.cleanup();
    server?.close();
  });

  it('reaches allowed destinations only through the proxy, with the proxy env set', async () => {
    const env = await sh(world.runtime, ref, 'echo $HTTP_PROXY $ALL_PROXY');
    assert.equal(env.stdout, 'http://127.0.0.1:3128 socks5h://127.0.0.1:1080\n');
    const allowed = await sh(
      world.runtime,
      ref,
      'curl -sS --max-time 10 http://gateway.paddock.internal/',
      {
        timeoutMs: 20_000,
      },
    );
    assert.equal(allowed.stdout, 'from-the-gateway\n');
    const refused = await sh(
      world.runtime,
      ref,
      'curl -s -o /dev/null -w "%{http_code}" --max-time 10 http://not-allowed.example.org/',
      { timeoutMs: 20_000 },
    );
    assert.match(refused.stdout, /^4\d\d$/);
    assert.ok(events.some((e) => e.outcome === 'allowed'));
    assert.ok(events.some((e) => e.outcome !== 'allowed'));
  });

  it('has no other way out: no interfaces but loopback, no direct connection to the host', async () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const direct = await sh(
      world.runtime,
      ref,
      `cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; curl -sS --noproxy '*' --max-time 3 http://127.0.0.1:${port}/`,
      { timeoutMs: 20_000 },
    );
    assert.equal(direct.stdout.split('\n')[0], 'lo');
    assert.doesNotMatch(direct.stdout, /from-the-gateway/);
    assert.notEqual(direct.exitCode, 0);
  });
});
