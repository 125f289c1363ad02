// `paddock credentials …` against a real `paddock up`: create from env, file and stdin, list
// without values, delete, and a scripted `credentials login claude` saving ~/.claude.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import { bwrapSkipReason, type PaddockProcess, startPaddockProcess } from '@paddock/testkit';
import { runCli } from './test-cli.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const SECRET = 'cli-secret-value-0123456789';

describe('paddock credentials against a real paddock up', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cli-credentials-'));
  let server: PaddockProcess;
  let url: string;
  let paddock: PaddockClient;

  const cli = (args: string[], stdin = '', env: NodeJS.ProcessEnv = {}) =>
    runCli(['--server', url, ...args], { stdin, env: { ...process.env, NO_COLOR: '1', ...env } });

  before(async () => {
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]);
    url = server.url;
    paddock = createClient({ baseUrl: url });
  });

  after(async () => {
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('creates from env, file and stdin; lists without values; deletes', async () => {
    const fromEnv = await cli(
      ['credentials', 'create', 'a', '--type', 'apiKey', '--from-env', 'MY_SECRET'],
      '',
      { MY_SECRET: SECRET },
    );
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /credential\/a created/);
    const file = join(home, 'secret.txt');
    writeFileSync(file, `${SECRET}\n`);
    const fromFile = await cli([
      'credentials',
      'create',
      'b',
      '--type',
      'env',
      '--from-file',
      file,
    ]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const fromStdin = await cli(
      ['credentials', 'create', 'c', '--type', 'env', '--value-stdin', '--description', 'piped'],
      SECRET,
    );
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    const none = await cli(['credentials', 'create', 'd', '--type', 'env']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /exactly one of/);
    const list = await cli(['credentials', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /NAME\s+TYPE\s+DESCRIPTION\s+AGE/);
    assert.match(list.stdout, /c\s+env\s+piped/);
    assert.ok(!list.stdout.includes(SECRET));
    const json = await cli(['credentials', 'list', '-o', 'json']);
    assert.ok(!json.stdout.includes(SECRET));
    const deleted = await cli(['credentials', 'delete', 'a']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(
      (await paddock.credentials.list()).items.map((c) => c.name),
      ['b', 'c'],
    );
  });

  it('logs in with a scripted command and saves ~/.claude as claude-login', async () => {
    const login = await cli([
      'credentials',
      'login',
      'claude',
      '--',
      'sh',
      '-c',
      `mkdir -p /home/user/.claude && echo '{"token":"${SECRET}"}' > /home/user/.claude/.credentials.json`,
    ]);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /credential\/claude-login saved/);
    const saved = await paddock.credentials.get('claude-login');
    assert.equal(saved.type, 'files');
    // The login sandbox is gone (or going).
    const sandboxes = await paddock.sandboxes.list();
    assert.ok(
      sandboxes.items.every(
        (s) => !s.metadata.name?.startsWith('login-claude-') || s.metadata.deletionTimestamp,
      ),
    );
  });

  it('saves nothing when the login writes nothing', async () => {
    const login = await cli(['credentials', 'login', 'claude', '--', 'true']);
    assert.notEqual(login.code, 0);
    assert.match(login.stderr, /wrote nothing/);
  });
});
