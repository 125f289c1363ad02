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

  it('a signal reaches every process the command started, not the relays it is still using', async () => {
    // A sandbox of its own: the relays this command uses are the ones it started.
    const fresh = await world.provision({
      network: { egress: 'allowlist', allowedDomains: ['example.com'] },
    });
    // The command (a harness told to stop, say) makes one more request through the relays once
    // its process group has had SIGTERM.
    const script = [
      'sleep 601 >/dev/null 2>&1 &',
      "trap 'curl -sS --max-time 10 http://gateway.paddock.internal/; exit 0' TERM",
      'echo ready',
      'wait',
    ].join('\n');
    const handle = await world.runtime.exec(fresh, { command: ['sh', '-c', script] });
    await handle.stdin.close();
    const reader = handle.stdout.getReader();
    let output = '';
    const decoder = new TextDecoder();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      output += decoder.decode(chunk.value);
      if (output === 'ready\n') await handle.signal('SIGTERM');
    }
    assert.equal(output, 'ready\nfrom-the-gateway\n');
    assert.equal((await handle.exit).exitCode, 0);
    // Its child had it too (the relays, in sessions of their own, did not).
    let sleeping = '';
    for (let i = 0; i < 50; i++) {
      // `60[1]`: the pattern does not match the command line of the grep that looks for it.
      sleeping = (await sh(world.runtime, fresh, 'grep -la 60[1] /proc/[0-9]*/cmdline; true'))
        .stdout;
      if (sleeping === '') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(sleeping, '');
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
