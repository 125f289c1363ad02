// login, logout and contexts: the real CLI as a child process against two real `paddock up`s,
// one requiring an API key, one anonymous on loopback, with a temporary config file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bwrapSkipReason, type PaddockProcess, startPaddockProcess } from '@paddock/testkit';
import { exitCodeFor } from './exit-codes.ts';
import { runCli } from './test-cli.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('paddock login and contexts against real servers', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-login-'));
  const config = join(dir, 'home', '.paddock', 'config.yaml');
  const adminKey = `pdk_${randomBytes(32).toString('base64url')}`;
  let secured: PaddockProcess;
  let open: PaddockProcess;

  const { PADDOCK_URL: _u, PADDOCK_TOKEN: _t, PADDOCK_NAMESPACE: _n, ...baseEnv } = process.env;
  const cli = (args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) =>
    runCli(args, {
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      env: { ...baseEnv, HOME: join(dir, 'home'), NO_COLOR: '1', ...options.env },
    });

  /** The SandboxTemplate names a server holds, as the CLI sees them. */
  const templates = async (args: string[], env?: NodeJS.ProcessEnv) => {
    const result = await cli(
      ['get', 'sandboxtemplates', '-o', 'name', ...args],
      env ? { env } : {},
    );
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };

  before(async () => {
    [secured, open] = await Promise.all([
      startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', join(dir, 'secured')], {
        env: { ...baseEnv, PADDOCK_BOOTSTRAP_ADMIN_KEY: adminKey },
      }),
      startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', join(dir, 'open')]),
    ]);
    const marker = (name: string) =>
      `{"apiVersion": "paddock.dev/v1alpha1", "kind": "SandboxTemplate", "metadata": {"name": "${name}"},
        "spec": {"inheritsFrom": {"kind": "ClusterSandboxTemplate", "name": "python"}}}`;
    const onSecured = await cli(
      ['apply', '-f', '-', '--server', secured.url, '--token', adminKey],
      {
        stdin: marker('on-secured'),
      },
    );
    assert.equal(onSecured.code, 0, onSecured.stderr);
    const onOpen = await cli(['apply', '-f', '-', '--server', open.url], {
      stdin: marker('on-open'),
    });
    assert.equal(onOpen.code, 0, onOpen.stderr);
  });

  after(async () => {
    await Promise.all([secured?.stop(), open?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong API key with exit 6 and writes no context', async () => {
    const wrong = await cli(['login', '--server', secured.url, '--token', 'pdk_wrong']);
    assert.equal(wrong.code, exitCodeFor('unauthenticated'), wrong.stderr);
    assert.match(wrong.stderr, /^paddock: unauthenticated: /);
    assert.throws(() => statSync(config), { code: 'ENOENT' });
  });

  it('logs in with a key from stdin, storing it with mode 0600 as the current context', async () => {
    const login = await cli(
      ['login', '--server', secured.url, '--token-stdin', '--context', 'sec', '-n', 'team'],
      { stdin: `${adminKey}\n` },
    );
    assert.equal(login.code, 0, login.stderr);
    assert.match(
      login.stdout,
      new RegExp(`^logged in to ${secured.url} as \\S+ \\(admin\\); context "sec"\\n$`),
    );
    assert.equal(statSync(config).mode & 0o777, 0o600);
    assert.ok(readFileSync(config, 'utf8').includes(adminKey));
    assert.equal(await templates(['-n', 'default']), 'sandboxtemplate/on-secured\n');
  });

  it('logs in to a loopback server without a key as the anonymous admin', async () => {
    const login = await cli(['login', '--server', open.url, '--context', 'open']);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /as anonymous \(admin\); context "open"\n$/);
    assert.equal(await templates([]), 'sandboxtemplate/on-open\n');
  });

  it('a wrong key for an existing context leaves the file unchanged', async () => {
    const before = readFileSync(config, 'utf8');
    const wrong = await cli(['login', '--context', 'sec', '--token', 'pdk_wrong']);
    assert.equal(wrong.code, exitCodeFor('unauthenticated'), wrong.stderr);
    assert.equal(readFileSync(config, 'utf8'), before);
  });

  it('lists contexts without ever printing a key', async () => {
    const table = await cli(['context', 'list']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^CURRENT\s+NAME\s+SERVER\s+NAMESPACE\s+USER\s+TOKEN$/);
    assert.match(lines[1] ?? '', new RegExp(`^\\s+sec\\s+${secured.url}\\s+team\\s+\\S+\\s+set$`));
    assert.match(
      lines[2] ?? '',
      new RegExp(`^\\*\\s+open\\s+${open.url}\\s+default\\s+anonymous\\s+none$`),
    );
    for (const format of ['json', 'yaml', 'name']) {
      const listed = await cli(['context', 'list', '-o', format]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(!listed.stdout.includes(adminKey), format);
    }
    assert.ok(!table.stdout.includes(adminKey));
    const names = await cli(['context', 'list', '-o', 'name']);
    assert.equal(names.stdout, 'context/sec\ncontext/open\n');
  });

  it('context use switches the server; an unknown context is not_found (exit 3)', async () => {
    const use = await cli(['context', 'use', 'sec']);
    assert.equal(use.code, 0, use.stderr);
    assert.equal(await templates(['-n', 'default']), 'sandboxtemplate/on-secured\n');
    assert.equal(await templates(['--context', 'open']), 'sandboxtemplate/on-open\n');
    const missing = await cli(['context', 'use', 'nope']);
    assert.equal(missing.code, exitCodeFor('not_found'));
    assert.match(missing.stderr, /context "nope" not found/);
    const missingFlag = await cli(['get', 'sandboxes', '--context', 'nope']);
    assert.equal(missingFlag.code, exitCodeFor('not_found'));
  });

  it('a flag beats the environment, which beats the context', async () => {
    // The context is "sec" (namespace team): the environment points elsewhere, a flag back.
    assert.equal(
      await templates(['-n', 'default'], { PADDOCK_URL: open.url }),
      'sandboxtemplate/on-open\n',
    );
    assert.equal(
      await templates(['--server', secured.url, '-n', 'default'], { PADDOCK_URL: open.url }),
      'sandboxtemplate/on-secured\n',
    );
    const teamOnly = await templates([]);
    assert.equal(teamOnly, '', 'the context namespace "team" holds no templates');
    assert.equal(
      await templates([], { PADDOCK_NAMESPACE: 'default' }),
      'sandboxtemplate/on-secured\n',
    );
  });

  it('logout forgets the key, after which the secured server refuses', async () => {
    const logout = await cli(['logout']);
    assert.equal(logout.code, 0, logout.stderr);
    assert.equal(logout.stdout, 'logged out of context "sec"\n');
    assert.ok(!readFileSync(config, 'utf8').includes(adminKey));
    const refused = await cli(['get', 'sandboxtemplates', '-n', 'default']);
    assert.equal(refused.code, exitCodeFor('unauthenticated'), refused.stderr);
    const deleted = await cli(['context', 'delete', 'sec']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await cli(['context', 'list', '-o', 'name'])).stdout, 'context/open\n');
  });

  it('a broken config file fails every command with exit 2 naming the field', async () => {
    writeFileSync(config, 'currentContext: open\ncontexts:\n  - name: open\n    server: 42\n');
    const broken = await cli(['get', 'sandboxes']);
    assert.equal(broken.code, exitCodeFor('validation_failed'));
    assert.match(broken.stderr, /^paddock: validation_failed: invalid config file .*config\.yaml/);
    assert.match(broken.stderr, /contexts\[0\]\.server/);
    assert.doesNotMatch(broken.stderr, /\n\s+at /, 'no stack trace');
  });
});
