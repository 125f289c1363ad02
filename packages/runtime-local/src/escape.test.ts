/**
 * Escape attempts: each test does what a hostile agent would try and fails if the protection
 * it exercises is missing. Every attempt is bounded (short loops, timeouts). Escapes through the
 * files API (`..`, symlinks) are cases of the runtime contract (runtime-contract.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import { SandboxDirs } from './sandbox-state.ts';
import {
  createTestWorld,
  FORK_FLOOD,
  MEMORY_HOG,
  run,
  sh,
  skipReason,
  type TestWorld,
} from './test-sandboxes.ts';

describe('escape attempts', { skip: skipReason }, () => {
  let world: TestWorld;
  let victim: SandboxRef;
  let attacker: SandboxRef;
  let victimWorkspace: string;
  let toolParent: string;
  before(async () => {
    // A tool directory beside a secret, behind a parent closed to sandbox uids.
    toolParent = mkdtempSync(join(tmpdir(), 'paddock-escape-tool-'));
    mkdirSync(join(toolParent, 'tool'));
    writeFileSync(join(toolParent, 'tool', 'README'), 'tool-readme');
    writeFileSync(join(toolParent, 'secret'), 'tool-neighbour-secret');
    chmodSync(toolParent, 0o700);
    world = createTestWorld({
      toolMounts: [{ source: join(toolParent, 'tool'), dest: '/opt/tool' }],
    });
    writeFileSync(join(world.dataDir, 'paddock.db'), 'SQLite format 3\0 paddock-secret-db');
    victim = await world.provision({}, 'victim');
    attacker = await world.provision({}, 'attacker');
    await world.runtime.files.write(
      victim,
      '/workspace/secret.txt',
      new TextEncoder().encode('victim-secret'),
    );
    victimWorkspace = new SandboxDirs(world.root, victim).workspace;
  });
  after(async () => {
    await world?.cleanup();
    if (toolParent !== undefined) rmSync(toolParent, { recursive: true, force: true });
  });

  it('cannot read /etc/shadow, gshadow or sudoers', async () => {
    const hostShadowStartsWithRoot = readFileSync('/etc/shadow', 'utf8').startsWith('root:');
    const result = await sh(
      world.runtime,
      attacker,
      'cat /etc/shadow /etc/gshadow /etc/sudoers /proc/1/root/etc/shadow',
    );
    assert.notEqual(result.exitCode, 0);
    assert.equal(result.stdout, '');
    assert.ok(hostShadowStartsWithRoot, 'the host has a shadow file worth protecting');
    const passwd = await sh(world.runtime, attacker, 'cat /etc/passwd');
    assert.doesNotMatch(
      passwd.stdout,
      new RegExp(`^${readFileSync('/etc/passwd', 'utf8').split('\n')[1]}$`, 'm'),
    );
  });

  it("cannot read another sandbox's workspace", async () => {
    const attempts = await sh(
      world.runtime,
      attacker,
      `cat ${victimWorkspace}/secret.txt /tmp/sandbox/workspace/secret.txt ../../victim/workspace/secret.txt; ls ${world.root}`,
    );
    assert.doesNotMatch(attempts.stdout, /victim-secret/);
    assert.notEqual(attempts.exitCode, 0);
    await sh(world.runtime, attacker, `ln -s ${victimWorkspace} /workspace/victim`);
    // The link resolves inside the attacker's own view, where that host path does not exist.
    await assert.rejects(
      world.runtime.files.read(attacker, '/workspace/victim/secret.txt'),
      (e) => isPaddockError(e, 'path_outside_sandbox') || isPaddockError(e, 'not_found'),
    );
    // The victim's files belong to another host uid, so even a shared path would be closed.
    const victimUid = statSync(join(victimWorkspace, 'secret.txt')).uid;
    const attackerUid = statSync(new SandboxDirs(world.root, attacker).workspace).uid;
    assert.notEqual(victimUid, attackerUid);
    assert.notEqual(victimUid, 0);
  });

  it("cannot see Paddock's data directory", async () => {
    const result = await sh(
      world.runtime,
      attacker,
      `cat ${world.dataDir}/paddock.db; ls -a ${world.dataDir}; find / -xdev -name paddock.db 2>/dev/null; echo done`,
    );
    assert.doesNotMatch(result.stdout, /paddock-secret-db|paddock\.db/);
    assert.match(result.stdout, /done/);
    assert.match(result.stderr, /No such file or directory/);
  });

  it('cannot see or signal host processes or other sandboxes', async () => {
    const host = spawn('sleep', ['4242'], { stdio: 'ignore' });
    const victimJob = await world.runtime.exec(victim, {
      command: ['sleep', '4343'],
      background: true,
    });
    try {
      const seen = await sh(world.runtime, attacker, 'ps -eo pid=,args=');
      assert.doesNotMatch(seen.stdout, /4242|4343|node|bwrap --unshare.*victim/);
      const lines = seen.stdout.trim().split('\n');
      assert.ok(lines.length <= 5, `only the sandbox's own processes: ${seen.stdout}`);
      const kill = await sh(world.runtime, attacker, `kill -9 ${host.pid} || echo refused`);
      assert.match(kill.stdout, /refused/);
      assert.equal(host.exitCode, null);
      assert.doesNotThrow(() => process.kill(host.pid ?? 0, 0), 'the host process is alive');
      const running = await world.runtime.listProcesses(victim);
      assert.ok(running.some((p) => p.id === victimJob.id && p.running));
    } finally {
      host.kill('SIGKILL');
      await victimJob.signal('SIGKILL');
      await victimJob.exit;
    }
  });

  it('cannot reach a host port on 127.0.0.1 with egress none (and can with egress open)', async () => {
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections += 1;
      socket.end('host-service\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const script = `cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; socat -T 2 - TCP:127.0.0.1:${port},connect-timeout=2 </dev/null`;
      const denied = await sh(world.runtime, attacker, script, { timeoutMs: 10_000 });
      assert.equal(denied.stdout.trim(), 'lo', 'only a loopback interface');
      assert.notEqual(denied.exitCode, 0);
      assert.equal(connections, 0);
      const open = await world.provision({ network: { egress: 'open' } });
      const allowed = await sh(world.runtime, open, script, { timeoutMs: 10_000 });
      assert.match(
        allowed.stdout,
        /host-service/,
        'the probe itself works when the network is shared',
      );
      await world.runtime.destroy(open);
    } finally {
      server.close();
    }
  });

  it('cannot write outside its writable directories', async () => {
    const targets = [
      '/x',
      '/etc/x',
      '/usr/x',
      '/usr/bin/x',
      '/home/x',
      '/var/x',
      '/dev/x',
      '/proc/x',
      '/run/x',
    ];
    const script = targets.map((t) => `touch ${t} 2>/dev/null && echo "wrote ${t}"`).join('; ');
    const denied = await sh(world.runtime, attacker, `${script}; true`);
    assert.equal(denied.stdout, '');
    const allowed = await sh(
      world.runtime,
      attacker,
      'touch /workspace/x /tmp/x /home/user/x /dev/shm/x && echo ok',
    );
    assert.equal(allowed.stdout, 'ok\n');
  });

  it('cannot write through, remount or climb out of a tool mount', async () => {
    const result = await sh(
      world.runtime,
      attacker,
      [
        'touch /opt/tool/x 2>/dev/null && echo "wrote x"',
        'mount -o remount,rw /opt/tool 2>/dev/null && echo remounted',
        'mount --bind /workspace /opt/tool 2>/dev/null && echo rebound',
        'cat /opt/tool/../secret /opt/tool/../../secret 2>/dev/null',
        'ls -a /opt/tool/.. | tr "\\n" " "',
        'cat /opt/tool/README',
      ].join('; '),
    );
    assert.equal(result.stdout, '. .. tool tool-readme');
    assert.deepEqual(readdirSync(join(toolParent, 'tool')), ['README']);
  });

  it('runs as an unprivileged host uid with no capabilities, no nested user namespaces and no stray descriptors', async () => {
    const result = await sh(
      world.runtime,
      attacker,
      'touch /workspace/mine; grep -E "^(CapEff|CapPrm|NoNewPrivs)" /proc/self/status; unshare -U true 2>/dev/null && echo nested; ls /proc/self/fd',
    );
    const hostUid = statSync(join(new SandboxDirs(world.root, attacker).workspace, 'mine')).uid;
    assert.notEqual(hostUid, 0, 'the sandbox user is not host root');
    assert.ok(hostUid >= 1_000_000, `a dedicated host uid, not a real user's (${hostUid})`);
    assert.match(result.stdout, /CapPrm:\s+0+\n/);
    assert.match(result.stdout, /CapEff:\s+0+\n/);
    assert.match(result.stdout, /NoNewPrivs:\s+1/);
    assert.doesNotMatch(result.stdout, /nested/);
    const fds = result.stdout.trim().split('\n').slice(-4);
    assert.deepEqual(fds, ['0', '1', '2', '3'], 'stdio plus the fd of ls itself');
  });

  it('hits its limits with a fork flood and a memory hog while another sandbox stays healthy', async () => {
    const bounded = await world.provision({ resources: { pids: 32, memory: '64Mi' } });
    const [flood, hog] = await Promise.all([
      sh(world.runtime, bounded, FORK_FLOOD, { timeoutMs: 30_000 }),
      sh(world.runtime, bounded, MEMORY_HOG, { timeoutMs: 30_000 }),
    ]);
    assert.match(flood.stderr, /fork|Resource temporarily unavailable/i);
    assert.notEqual(hog.exitCode, 0);
    const healthy = await run(world.runtime, victim, ['cat', '/workspace/secret.txt']);
    assert.equal(healthy.stdout, 'victim-secret');
    await world.runtime.destroy(bounded);
  });
});
