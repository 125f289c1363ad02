// Two `paddock up` on one host with different homes never share a port, a sandbox host uid or a
// cgroup: real server processes, each with its own data directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLocalRuntime } from '@paddock/runtime-local';
import {
  bwrapSkipReason,
  eventually,
  type PaddockProcess,
  startPaddockProcess,
} from '@paddock/testkit';
import { API } from './test-server.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('two paddock up with different homes', () => {
  const homes: string[] = [];
  const servers: PaddockProcess[] = [];
  const start = async (addr = '127.0.0.1:0') => {
    const home = mkdtempSync(join(tmpdir(), 'paddock-home-'));
    homes.push(home);
    const server = await startPaddockProcess([MAIN, '--addr', addr], {
      env: { ...process.env, PADDOCK_HOME: home },
    });
    servers.push(server);
    return { home, server };
  };
  after(async () => {
    for (const server of servers) await server.stop();
    for (const home of homes) {
      const runtime = createLocalRuntime({ root: join(home, 'sandboxes') });
      for (const ref of await runtime.list()) await runtime.destroy(ref);
      await runtime.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('never share a port: the second one on a taken port exits with a clear error', async () => {
    const first = await start();
    const taken = new URL(first.server.url).port;
    const home = mkdtempSync(join(tmpdir(), 'paddock-home-'));
    homes.push(home);
    const second = spawn(process.execPath, [MAIN, '--addr', `127.0.0.1:${taken}`], {
      env: { ...process.env, PADDOCK_HOME: home },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    second.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, new RegExp(`^paddock: 127\\.0\\.0\\.1:${taken} is already in use`, 'm'));
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    assert.equal((await fetch(`${first.server.url}/healthz`)).status, 200, 'the first one runs on');
  });

  it('never share a sandbox host uid or cgroup', { skip: bwrapSkipReason() }, async () => {
    const worlds = [await start(), await start()];
    assert.notEqual(worlds[0]?.server.url, worlds[1]?.server.url);
    const states = [];
    for (const { home, server } of worlds) {
      const created = await fetch(`${server.url}/api/v1/namespaces/default/sandboxes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          apiVersion: API,
          kind: 'Sandbox',
          metadata: { name: 'same-name' },
          spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
        }),
      });
      assert.equal(created.status, 201, await created.text());
      const status = await eventually(
        async () => {
          const box = await fetch(`${server.url}/api/v1/namespaces/default/sandboxes/same-name`);
          const body = (await box.json()) as {
            status?: { phase?: string; message?: string; runtime?: { rootless?: boolean } };
          };
          assert.notEqual(body.status?.phase, 'Error', body.status?.message);
          return body.status?.phase === 'Running' ? body.status : undefined;
        },
        { timeoutMs: 60_000, what: 'Running' },
      );
      assert.equal(status.runtime?.rootless, process.getuid?.() !== 0);
      const path = join(home, 'sandboxes', 'default', 'same-name', 'state.json');
      states.push(
        JSON.parse(readFileSync(path, 'utf8')) as {
          hostUid: number;
          limits: { cgroups: string[] };
        },
      );
    }
    const [a, b] = states;
    assert.ok(a && b);
    // Rootless, each Paddock's sandboxes run as its own user: two homes of one user share it.
    if (process.getuid?.() === 0) assert.notEqual(a.hostUid, b.hostUid);
    assert.deepEqual(
      a.limits.cgroups.filter((dir) => b.limits.cgroups.includes(dir)),
      [],
      'no cgroup in common',
    );
  });
});
