import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type EgressProxy, startEgressProxy } from './egress-proxy.ts';
import { startUpstreams, type Upstreams } from './egress-test-clients.ts';
import {
  bridgeCommands,
  EGRESS_SOCKET_NAME,
  proxyEnv,
  SANDBOX_EGRESS_DIR,
  SANDBOX_EGRESS_SOCKET,
  withEgressBridge,
} from './sandbox-bridge.ts';

describe('bridgeCommands and proxyEnv', () => {
  it('relays 127.0.0.1:3128 and :1080 to the bound socket', () => {
    assert.equal(SANDBOX_EGRESS_SOCKET, '/run/paddock/egress.sock');
    assert.deepEqual(bridgeCommands(), [
      [
        'socat',
        'TCP4-LISTEN:3128,bind=127.0.0.1,fork,reuseaddr,backlog=4096',
        'UNIX-CONNECT:/run/paddock/egress.sock',
      ],
      [
        'socat',
        'TCP4-LISTEN:1080,bind=127.0.0.1,fork,reuseaddr,backlog=4096',
        'UNIX-CONNECT:/run/paddock/egress.sock',
      ],
    ]);
    assert.equal(bridgeCommands('/x.sock', { socatPath: '/opt/socat' })[1]?.[0], '/opt/socat');
  });

  it('points every proxy variable at the relays', () => {
    assert.deepEqual(proxyEnv(), {
      HTTP_PROXY: 'http://127.0.0.1:3128',
      HTTPS_PROXY: 'http://127.0.0.1:3128',
      ALL_PROXY: 'socks5h://127.0.0.1:1080',
      NO_PROXY: 'localhost,127.0.0.1',
      http_proxy: 'http://127.0.0.1:3128',
      https_proxy: 'http://127.0.0.1:3128',
      all_proxy: 'socks5h://127.0.0.1:1080',
      no_proxy: 'localhost,127.0.0.1',
      NODE_USE_ENV_PROXY: '1',
    });
  });

  it('wraps argv so it runs after the relays, quoting every word', () => {
    const argv = withEgressBridge(['printf', "it's %s", 'ok'], "/run/it's.sock");
    assert.deepEqual(argv.slice(0, 2), ['sh', '-c']);
    assert.deepEqual(argv.slice(3), ['paddock-egress', 'printf', "it's %s", 'ok']);
    assert.match(argv[2] ?? '', /'UNIX-CONNECT:\/run\/it'\\''s\.sock'/);
    assert.match(argv[2] ?? '', / 0100007F:0C38 00000000:0000 0A /);
    assert.match(argv[2] ?? '', /exec "\$@"$/);
  });
});

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Why the end-to-end suite cannot run here, or undefined when it can. */
function missingTools(): string | undefined {
  for (const tool of ['bwrap', 'socat']) {
    if (!onPath(tool)) return `${tool} is not installed`;
  }
  const probe = spawnSync('bwrap', ['--unshare-all', '--ro-bind', '/', '/', 'true']);
  return probe.status === 0 ? undefined : 'bwrap cannot create namespaces here';
}

const ALLOWED = 'allowed.test';
const skip = missingTools();

describe('egress through a real bubblewrap sandbox', { skip }, () => {
  let dir: string;
  let proxy: EgressProxy;
  let upstreams: Upstreams;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-egress-e2e-'));
    upstreams = await startUpstreams();
    proxy = await startEgressProxy({
      socketPath: join(dir, EGRESS_SOCKET_NAME),
      allowedDomains: [],
      hostServices: [
        { host: ALLOWED, port: 80, target: { address: '127.0.0.1', port: upstreams.httpPort } },
        { host: ALLOWED, port: 443, target: { address: '127.0.0.1', port: upstreams.echoPort } },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await upstreams?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** Run `script` with sh in a sandbox with only `lo`, the socket dir bound and the bridge up. */
  function inSandbox(script: string): Promise<string> {
    const lib64 = existsSync('/usr/lib64') ? ['--symlink', 'usr/lib64', '/lib64'] : [];
    const bwrap = [
      '--unshare-all',
      '--die-with-parent',
      '--uid',
      '1000',
      '--gid',
      '1000',
      '--ro-bind',
      '/usr',
      '/usr',
      '--symlink',
      'usr/bin',
      '/bin',
      '--symlink',
      'usr/lib',
      '/lib',
      ...lib64,
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      '--bind',
      dir,
      SANDBOX_EGRESS_DIR,
      '--',
      ...withEgressBridge(['sh', '-c', script]),
    ];
    const env = { PATH: '/usr/bin:/bin', ...proxyEnv(), HOST_PORT: String(upstreams.httpPort) };
    return new Promise((resolve, reject) => {
      execFile('bwrap', bwrap, { env, timeout: 30_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
  }

  it('reaches an allowed domain through the bridge and nothing else', async () => {
    const request = (host: string) =>
      `printf 'GET http://${host}/e2e HTTP/1.1\\r\\nHost: ${host}\\r\\nConnection: close\\r\\n\\r\\n'` +
      ' | socat -t 5 - TCP4:127.0.0.1:3128';
    const output = await inSandbox(
      [
        'id -u',
        'echo ---',
        request(ALLOWED),
        'echo ---',
        request('blocked.test'),
        'echo ---',
        `printf ping | socat -t 5 - PROXY:127.0.0.1:${ALLOWED}:443,proxyport=3128; echo`,
        'echo ---',
        // The host's upstream is on the host's 127.0.0.1; the sandbox's lo is another one.
        'if socat -u /dev/null TCP4:127.0.0.1:"$HOST_PORT" 2>/dev/null; then echo direct-ok;' +
          ' else echo direct-failed; fi',
      ].join('\n'),
    );
    const [uid, allowed, blocked, tunnel, direct] = output.split('---\n');
    assert.equal(uid, '1000\n');
    assert.match(allowed ?? '', /^HTTP\/1\.1 200 OK\r\n[\s\S]*GET \/e2e $/);
    assert.match(blocked ?? '', /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(blocked ?? '', /paddock egress: blocked\.test is not on this sandbox's allowlist/);
    assert.equal(tunnel, 'ping\n');
    assert.equal(direct, 'direct-failed\n');
  });

  it('serves ordinary clients configured by proxyEnv (curl: http, CONNECT, socks5h)', {
    skip: onPath('curl') ? undefined : 'curl is not installed',
  }, async () => {
    const connectionsBefore = upstreams.connections();
    const output = await inSandbox(
      [
        `curl -sS http://${ALLOWED}/via-http-proxy; echo`,
        `curl -sS --proxytunnel http://${ALLOWED}/via-connect; echo`,
        `env -u http_proxy -u HTTP_PROXY curl -sS http://${ALLOWED}/via-socks; echo`,
        "curl -s -o /dev/null -w '%{http_code}\\n' http://blocked.test/",
        'env -u http_proxy curl -s http://blocked.test/; echo "socks exit $?"',
      ].join('\n'),
    );
    assert.equal(
      output,
      [
        'GET /via-http-proxy ',
        'GET /via-connect ',
        'GET /via-socks ',
        '403',
        // 97: curl's "proxy handshake error", from SOCKS reply 0x02.
        'socks exit 97',
        '',
      ].join('\n'),
    );
    assert.equal(upstreams.connections(), connectionsBefore + 3);
  });
});
